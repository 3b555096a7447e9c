"""Start-up: ``handcalc --help`` imports no command module and none of the heavy libraries,
and its list of commands (kept in ``handcalc.cli.COMMANDS`` for that) says what the commands
themselves say. How long start-up takes is measured by benchmarks/bench.py, not here."""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys

from typer.main import get_command_name

from handcalc.cli import COMMANDS, app


def test_the_command_table_matches_the_commands():
    for module, _ in COMMANDS.values():
        importlib.import_module(f"handcalc.cli.{module}")
    registered = {info.name or get_command_name(info.callback.__name__): info for info in app.registered_commands}
    assert sorted(registered) == sorted(COMMANDS)
    for name, info in registered.items():
        module, help_line = COMMANDS[name]
        assert info.callback.__module__ == f"handcalc.cli.{module}", name
        first_paragraph = inspect.getdoc(info.callback).split("\n\n")[0].replace("\n", " ")
        assert help_line == first_paragraph, name


def test_help_imports_no_command_and_no_heavy_library():
    probe = (
        "import sys\n"
        "sys.argv = ['handcalc', '--help']\n"
        "from handcalc.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "import json\n"
        "print(json.dumps(sorted(name for name in sys.modules if name.startswith(('handcalc.', 'numpy', 'ruamel', "
        "'rich', 'pydantic')))))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    help_text, loaded = out.rsplit("\n", 2)[0], json.loads(out.rsplit("\n", 2)[1])
    assert all(name in help_text for name in COMMANDS)
    assert loaded == ["handcalc.cli"], loaded
