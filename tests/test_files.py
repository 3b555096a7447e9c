"""Output files as a user expects: the umask's mode, links followed and never replaced,
devices and inputs refused, no silent replacement by a second run, no temporary file left
behind, CSV cells that a spreadsheet cannot run; and the format named by the extension."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import stat
from pathlib import Path

import pytest
from conftest import ROOT, cli_runner

import handcalc.cli.common as common
from handcalc.cli import app
from handcalc.errors import OutputError, OutputExistsError

SAMPLE = ROOT / "samples" / "self_attention.yaml"
runner = cli_runner()


def run(*args):
    return runner.invoke(app, [str(arg) for arg in args])


@pytest.fixture
def umask():
    """Set the process's umask for one test."""
    saved = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(saved)


def leftovers(folder: Path) -> list[Path]:
    return list(folder.glob(".*.tmp"))


# --- mode, links, what is not a file ---------------------------------------------------------
@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_files_get_the_mode_of_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    out = tmp_path / "out.txt"
    assert run("run", SAMPLE, "-o", out).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == mode
    sheet = tmp_path / "sheet.md"
    assert run("worksheet", SAMPLE, "-o", sheet).exit_code == 0
    assert stat.S_IMODE(sheet.stat().st_mode) == mode


def test_a_link_is_followed_never_replaced(tmp_path):
    target, link = tmp_path / "target.txt", tmp_path / "link.txt"
    target.write_text("old")
    link.symlink_to(target)
    refused = run("run", SAMPLE, "-o", link)
    assert refused.exit_code == 3 and "exists already" in refused.stderr and target.read_text() == "old"
    assert run("run", SAMPLE, "-o", link, "--force").exit_code == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("Self-attention by hand") and not leftovers(tmp_path)


@pytest.mark.parametrize("kind", ["device", "fifo", "directory"])
def test_what_is_not_a_regular_file_is_refused(tmp_path, kind):
    if kind == "device":
        out = Path("/dev/null")
    elif kind == "fifo":
        out = tmp_path / "pipe"
        os.mkfifo(out)  # writing to it would block: it must be refused before that
    else:
        out = tmp_path
    result = run("run", SAMPLE, "-o", out, "--force")
    assert result.exit_code == 3 and len(result.stderr.splitlines()) == 1
    assert ("not a regular file" if kind != "directory" else "is a directory") in result.stderr
    assert out.exists() and (kind != "device" or out.is_char_device())


def test_dash_is_the_terminal():
    result = run("run", SAMPLE, "-f", "json", "-o", "-")
    assert result.exit_code == 0 and json.loads(result.stdout)["title"] == "Self-attention by hand"
    pdf = run("worksheet", SAMPLE, "--level", "1", "-o", "-")
    assert pdf.exit_code == 0 and pdf.stdout_bytes.startswith(b"%PDF-")


# --- inputs are never outputs --------------------------------------------------------------------
def test_the_bundled_example_is_protected_named_or_defaulted(tmp_path):
    from handcalc import examples

    bundled = examples.path(examples.DEFAULT)  # the copy handcalc runs: installed, or this checkout's
    before = bundled.read_bytes()
    link = tmp_path / "alias.yaml"
    link.symlink_to(bundled)
    for args in (["run", "-o", bundled, "--force"], ["run", "--example", "two_heads", "-o", bundled, "--force"],
                 ["run", "-o", link, "--force"], ["worksheet", "-f", "markdown", "-o", link, "--force", "--seed", "1"]):  # fmt: skip
        result = run(*args)
        assert result.exit_code == 3 and "bundled example" in result.stderr, args
    assert bundled.read_bytes() == before and link.is_symlink()


def test_check_never_writes_its_report_over_an_answers_file(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text((ROOT / "samples" / "answers" / "self_attention_right.yaml").read_text())
    before = answers.read_bytes()
    result = run("check", SAMPLE, answers, "--report", answers, "--force")
    assert result.exit_code == 3 and "is an input of this command" in result.stderr
    assert answers.read_bytes() == before


# --- one run never silently replaces another; nothing half-written is left ------------------------
def test_a_file_made_meanwhile_is_not_replaced(tmp_path, monkeypatch):
    out = tmp_path / "sheet.txt"
    real = common.check_output

    def other_run_wins(output, force, protect=None):
        target = real(output, force, protect)
        out.write_text("the other run's")  # between the check and the write
        return target

    monkeypatch.setattr(common, "check_output", other_run_wins)
    with pytest.raises(OutputExistsError):
        common.write(out, "mine", False, None)
    assert out.read_text() == "the other run's" and not leftovers(tmp_path)
    common.write(out, "mine", True, None)  # --force replaces it
    assert out.read_text() == "mine"


@pytest.mark.parametrize("interruption", [OSError(28, "No space left on device"), KeyboardInterrupt(), "SIGTERM"])
def test_the_temporary_file_goes_on_any_interruption(tmp_path, monkeypatch, interruption):
    out = tmp_path / "out.txt"

    def interrupt(fd, mode):
        if interruption == "SIGTERM":
            os.kill(os.getpid(), signal.SIGTERM)  # the handler turns it into an exit
        else:
            raise interruption

    monkeypatch.setattr(os, "fchmod", interrupt)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises((OutputError, KeyboardInterrupt, SystemExit)) as raised:
        common.write(out, "text", False, None)
    if interruption == "SIGTERM":
        assert raised.type is SystemExit and raised.value.code == 128 + signal.SIGTERM
    assert not out.exists() and not leftovers(tmp_path)
    assert signal.getsignal(signal.SIGTERM) == before  # the default handling is back


# --- CSV --------------------------------------------------------------------------------------------
def test_csv_cells_that_a_spreadsheet_would_run_are_inert():
    rows = [["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "plain", -3, 0.5]]
    cells = next(csv.reader(io.StringIO(common.csv_text(rows))))
    assert cells == ["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "'\tx", "plain", "-3", "0.5"]


def test_check_report_neutralises_a_file_name(tmp_path):
    answers = tmp_path / "=cmd.yaml"
    answers.write_text((ROOT / "samples" / "answers" / "self_attention_right.yaml").read_text())
    report = tmp_path / "report.csv"
    result = run("check", SAMPLE, answers, "--report", report)
    assert result.exit_code == 0, result.output
    cells = [cell for row in csv.reader(io.StringIO(report.read_text())) for cell in row]
    assert not any(cell[:1] in "=+@" for cell in cells if cell) and any(cell.endswith("=cmd.yaml") for cell in cells)


# --- the format follows the extension -----------------------------------------------------------------
@pytest.mark.parametrize("suffix, starts", [(".md", "# Self-attention"), (".json", "{"), (".tex", "% Written by handcalc"),
                                            (".html", "<!DOCTYPE html>"), (".txt", "Self-attention by hand")])  # fmt: skip
def test_run_writes_the_format_its_extension_names(tmp_path, suffix, starts):
    out = tmp_path / f"out{suffix}"
    assert run("run", SAMPLE, "-o", out).exit_code == 0
    assert out.read_text().startswith(starts)


@pytest.mark.parametrize("args", [["run", SAMPLE, "-f", "json", "-o", "x.html"], ["run", SAMPLE, "-o", "x.pdf"],
                                  ["worksheet", SAMPLE, "-o", "x.txt"], ["worksheet", SAMPLE, "-f", "pdf", "-o", "x.md"],
                                  ["softmax", "1", "2", "-f", "latex", "-o", "x.json"]])  # fmt: skip
def test_a_contradiction_is_a_usage_error(tmp_path, args, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert result.exit_code == 2 and "--format" in result.stderr or "--output" in result.stderr
    assert not list(tmp_path.iterdir())


def test_worksheet_and_softmax_follow_the_extension(tmp_path):
    page, md = tmp_path / "s.html", tmp_path / "s.md"
    assert run("worksheet", SAMPLE, "--level", "1", "-o", page).exit_code == 0 and page.read_text().startswith("<!DOCTYPE html>")
    assert run("worksheet", SAMPLE, "--level", "1", "-o", md).exit_code == 0 and md.read_text().startswith("# Self-attention")
    out = tmp_path / "soft.json"
    assert run("softmax", "1", "0", "-1", "-o", out).exit_code == 0
    assert [step["name"] for step in json.loads(out.read_text())["steps"]][-1] == "A"
    inf = run("softmax", "1", "-inf", "2", "-f", "text")  # -inf is a number, not -i -n -f
    assert inf.exit_code == 3 and "finite" in inf.stderr


def test_check_offers_only_the_formats_it_writes():
    result = run("check", "--help")
    assert "<rich|text|json>" in result.stdout.replace(" ", "") or "[rich|text|json]" in result.stdout.replace(" ", "")
    assert "markdown" not in result.stdout and "latex" not in result.stdout
