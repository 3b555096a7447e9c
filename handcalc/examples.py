"""The bundled example problems: the files of ``samples/``, shipped inside the package."""

from __future__ import annotations

from pathlib import Path

DEFAULT = "self_attention"
ALIASES = {"classic": DEFAULT}  # the classic exercise, by the name teachers give it


def samples_dir() -> Path:
    """Where the samples are: inside the installed package, or beside it in a checkout."""
    packaged = Path(__file__).resolve().parent / "samples"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "samples"


def names() -> list[str]:
    return sorted(path.stem for path in samples_dir().glob("*.yaml"))


def path(name: str) -> Path:
    """The file of example ``name`` (or of an alias: ``classic``); KeyError for none."""
    name = ALIASES.get(name, name)
    if name not in names():
        raise KeyError(name)
    return samples_dir() / f"{name}.yaml"


def describe(name: str) -> str:
    """What the example shows: its opening comment, every line of it, as one sentence or more."""
    words = []
    for line in path(name).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if text.startswith("yaml-language-server:"):
            continue  # an editor's directive, not a description
        if not text and words:
            break
        words.append(text)
    return " ".join(word for word in words if word)
