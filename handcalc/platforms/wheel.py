"""A wheel of the handcalc that is running, to bundle in an autograder: the machine that
marks then runs exactly the handcalc the teacher built the exercise with, with no release to
find on a package index.

The wheel holds the package's files as they are installed (the bundled examples included)
and the installed distribution's own METADATA and entry points, so pip installs its
dependencies as for any release. Pure: it reads files and returns bytes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path

WHEEL = "Wheel-Version: 1.0\nGenerator: handcalc\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def this_handcalc() -> tuple[str, bytes]:
    """``(file name, bytes)`` of a ``py3-none-any`` wheel of the running handcalc."""
    from importlib.metadata import distribution

    import handcalc
    from handcalc import examples

    dist = distribution("handcalc")
    info = f"handcalc-{dist.version}.dist-info"
    package = Path(handcalc.__file__).parent
    files = {f"handcalc/{path.relative_to(package).as_posix()}": path.read_bytes() for path in _sources(package)}
    files |= {f"handcalc/samples/{path.name}": path.read_bytes() for path in sorted(examples.samples_dir().glob("*.yaml"))}
    files[f"{info}/METADATA"] = (dist.read_text("METADATA") or "").encode()
    files[f"{info}/WHEEL"] = WHEEL.encode()
    if entry_points := dist.read_text("entry_points.txt"):
        files[f"{info}/entry_points.txt"] = entry_points.encode()
    return f"handcalc-{dist.version}-py3-none-any.whl", _zipped(files, f"{info}/RECORD")


def _sources(package: Path) -> list[Path]:
    """The package's files, without compiled caches or the examples (added from where they are)."""
    return sorted(
        path for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.relative_to(package).parts[0] != "samples"
    )  # fmt: skip


def _zipped(files: dict[str, bytes], record: str) -> bytes:
    """The wheel's zip, its RECORD listing each file's sha256 and size (PEP 376/427)."""
    lines = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in files.items()] + [f"{record},,"]
    files = {**files, record: ("\n".join(lines) + "\n").encode()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files.items():
            wheel.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)  # same input, same bytes
    return out.getvalue()


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
