"""Shared test helpers: the reference cases and a way to write problems to files."""

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

HERE = Path(__file__).parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))  # tests/reference.py imports as `reference`

TORCH_CASES = json.loads((HERE / "fixtures" / "torch_attention.json").read_text())["cases"]
MHA_CASES = json.loads((HERE / "fixtures" / "torch_mha.json").read_text())["cases"]
SAMPLES = sorted((ROOT / "samples").glob("*.yaml"))


@pytest.fixture
def write_problem(tmp_path):
    """Write a problem dict (JSON is YAML 1.2) or YAML text to a file; return its path."""

    def write(problem, name="problem.yaml"):
        path = tmp_path / name
        path.write_text(problem if isinstance(problem, str) else json.dumps(problem), encoding="utf-8")
        return path

    return write


def cli_runner() -> CliRunner:
    """A runner that keeps stdout and stderr apart (always so from Click 8.2 on)."""
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()
