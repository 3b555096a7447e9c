"""Make the pictures of docs/platforms.md: what a student sees on each platform.

- docs/moodle-question.png: the Cloze question of ``handcalc moodle samples/self_attention.yaml
  --blank A,Z``, its sub-questions drawn as the text boxes Moodle puts in their place;
- docs/gradescope-results.png: the results.json that ``handcalc autograde`` writes for
  samples/answers/self_attention_mistakes.yaml, its Markdown rendered as Gradescope renders it
  (one box per test). The same Markdown, as text, is docs/gradescope-results.md, which
  ``python docs/regenerate.py`` writes (with every other example of the docs).

Run from the repository root with handcalc installed and Chromium on the PATH
(Debian: ``apt-get install chromium``):  python docs/platforms.py
"""

import html
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from markdown_it import MarkdownIt

DOCS = Path(__file__).parent
SAMPLE = DOCS.parent / "samples" / "self_attention.yaml"
ANSWERS = DOCS.parent / "samples" / "answers" / "self_attention_mistakes.yaml"
FIELD = re.compile(r"\{\d*:NUMERICAL:(?:\\.|[^}])*\}")
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body {{ font: 15px/1.45 "DejaVu Sans", sans-serif; margin: 0; padding: 16px; background: #fff; color: #1d2125; }}
.que {{ display: flex; gap: 12px; max-width: 1100px; }}
.info {{ flex: 0 0 110px; background: #f8f9fa; border: 1px solid #dee2e6; padding: 8px; font-size: 13px; }}
.info .no {{ font-size: 17px; font-weight: 700; }}
.content {{ flex: 1; background: #e7f3f5; border: 1px solid #b8dce2; padding: 12px 16px; }}
input {{ width: 4.2em; font: inherit; padding: 2px 4px; border: 1px solid #8f959e; border-radius: 3px; }}
.test {{ border: 1px solid #d0d4d9; margin: 10px 0; }}
.test h3 {{ margin: 0; padding: 6px 10px; font-size: 15px; background: #f3f4f6; display: flex; justify-content: space-between; }}
.test.failed h3 {{ background: #fde8e8; }} .test.passed h3 {{ background: #e3f6e8; }}
.test .body {{ padding: 4px 12px; }}
table {{ border-collapse: collapse; }} .test td, .test th {{ padding: 1px 8px; }}
pre {{ background: #f6f8fa; padding: 6px 10px; }}
</style></head><body>{body}</body></html>"""


def results_markdown(results: dict) -> str:
    """A results.json as one Markdown page: the summary, then each test under its heading."""
    markdown = [results["output"]]
    for test in results["tests"]:
        markdown += [f"## {test['name']} ({test['score']:g}/{test['max_score']:g})", test["output"]]
    return "\n\n".join(markdown) + "\n"


def handcalc(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "handcalc", *args], check=True)


def screenshot(page: str, png: Path, width: int, height: int) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "page.html"
        source.write_text(page, encoding="utf-8")
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--hide-scrollbars", f"--window-size={width},{height}",
                        f"--screenshot={png}", source.as_uri()], check=True, capture_output=True)  # fmt: skip


def moodle(scratch: Path) -> None:
    quiz = scratch / "quiz.xml"
    handcalc("moodle", str(SAMPLE), "--blank", "A,Z", "-o", str(quiz))
    question = ET.parse(quiz).getroot().find("question[@type='cloze']")
    text = FIELD.sub('<input type="text">', question.find("questiontext/text").text)
    marks = len(FIELD.findall(question.find("questiontext/text").text))
    body = (f'<div class="que"><div class="info"><div class="no">Question 1</div>Not yet answered<br>'
            f'Marked out of {marks}.00</div><div class="content">{text}</div></div>')  # fmt: skip
    screenshot(PAGE.format(body=body), DOCS / "moodle-question.png", 1140, 1500)


def autograder_results(scratch: Path) -> dict:
    """The results.json of the sample's autograder (``--level 2``) for the sample's mistakes."""
    from handcalc.platforms.gradescope import grade

    archive = scratch / "autograder.zip"
    handcalc("gradescope", str(SAMPLE), "--level", "2", "-o", str(archive))
    root = scratch / "autograder"
    with zipfile.ZipFile(archive) as unpacked:
        unpacked.extractall(root / "source")
    (root / "submission").mkdir()
    shutil.copy(ANSWERS, root / "submission" / "answers.yaml")
    return grade(root)  # what ``handcalc autograde --root ROOT`` writes to results/results.json


def gradescope(scratch: Path) -> None:
    results = autograder_results(scratch)  # docs/gradescope-results.md is docs/regenerate.py's
    md = MarkdownIt("commonmark").enable("table")
    boxes = [f'<div class="summary">{md.render(results["output"])}</div>']
    for test in results["tests"][-3:]:  # sums, A and Z: what the student sees first when scrolling down
        boxes.append(f'<div class="test {test["status"]}"><h3><span>{html.escape(test["name"])}</span>'
                     f'<span>{test["score"]:g} / {test["max_score"]:g}</span></h3>'
                     f'<div class="body">{md.render(test["output"])}</div></div>')  # fmt: skip
    screenshot(PAGE.format(body="\n".join(boxes)), DOCS / "gradescope-results.png", 900, 1250)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        moodle(Path(scratch))
        gradescope(Path(scratch))
