"""The docs cannot drift: every example in README.md and docs/*.md is what its command prints
today, as docs/regenerate.py makes it (issue 14, item 4)."""

import importlib.util
import re

import pytest
from conftest import ROOT

spec = importlib.util.spec_from_file_location("regenerate", ROOT / "docs" / "regenerate.py")
regenerate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(regenerate)

EXAMPLES = regenerate.all_examples()


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{e.path.name}:{e.line}" for e in EXAMPLES])
def test_the_example_is_what_its_command_prints(example):
    """If this fails, run `python docs/regenerate.py` and read the diff: the output changed."""
    assert regenerate.output(example) == example.shown, str(example)


@pytest.mark.parametrize("name", sorted(regenerate.PAGES))
def test_the_generated_page_is_what_its_command_prints(name):
    assert regenerate.PAGES[name]() == (ROOT / name).read_text(encoding="utf-8"), (
        f"run python docs/regenerate.py ({name})"
    )


def test_the_readme_shows_each_use_with_a_real_output():
    """The README shows run on the classic sample and check as real output, and a worksheet."""
    readme = [e.spec for e in EXAMPLES if e.path.name == "README.md"]
    assert any(spec.startswith("handcalc run samples/self_attention.yaml ") for spec in readme)
    assert any(spec.startswith("handcalc check samples/self_attention.yaml ") for spec in readme)
    assert "](docs/worksheet.png)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_drifted_example_is_found_and_rewritten(tmp_path, monkeypatch):
    """A block that no longer matches its command is listed by --check and rewritten in place,
    the text around it untouched; a block that matches is left alone."""
    page = tmp_path / "page.md"
    marker = "<!-- output of: handcalc softmax 0 0 --format text | tail 2 (COLUMNS=100) -->"
    page.write_text(f"before\n\n{marker}\n```text\nstale\n```\n\nafter\n", encoding="utf-8")
    monkeypatch.setattr(regenerate, "pages", lambda: [page])
    monkeypatch.setattr(regenerate, "PAGES", {})
    monkeypatch.setattr(regenerate, "ROOT", tmp_path)
    assert len(regenerate.regenerate(check=True)) == 1 and "stale" in page.read_text(encoding="utf-8")
    assert len(regenerate.regenerate(check=False)) == 1
    text = page.read_text(encoding="utf-8")
    assert text.startswith(f"before\n\n{marker}\n```text\n") and text.endswith("```\n\nafter\n")
    block = text.split("```text\n")[1].split("```")[0]
    assert block.count("\n") == 2 and "0.500" in block  # softmax of two equal numbers: one half each
    assert regenerate.regenerate(check=True) == []


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("handcalc run nowhere.yaml (COLUMNS=100)", "exited 3"),
        ("python -c 1 (COLUMNS=100)", "not a handcalc command"),
    ],
)
def test_a_marker_that_cannot_run_says_why(spec, problem, tmp_path):
    example = regenerate.Example(tmp_path / "page.md", "output", spec, "", 0, 0)
    with pytest.raises((RuntimeError, ValueError), match=problem):
        regenerate.output(example)


def _headings(path):
    """The anchors of a Markdown page's headings, as GitHub makes them (fenced blocks skipped)."""
    anchors, fenced = set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        fenced = fenced != line.startswith("```")
        if not fenced and (match := re.match(r"#{1,6} (.*)", line)):
            anchors.add(re.sub(r"[^\w\- ]", "", match[1].strip().lower()).replace(" ", "-"))
    return anchors


PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_link_of_the_docs_reaches_a_file_and_heading(page):
    for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
        if re.match(r"\w+://", target):
            continue
        name, _, anchor = target.partition("#")
        path = (page.parent / name) if name else page
        assert path.exists(), f"{page.name}: {target}"
        assert not anchor or anchor in _headings(path), f"{page.name}: {target}"
