"""Every console module imports on its own, as the first thing a fresh interpreter loads: a circle of
imports between the pages packages hides while ``ui.main`` happens to load them in a kind order,
and breaks a test, a job or a shell that starts from another module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# One interpreter for the whole walk (a fresh one per module costs a minute): before each module,
# every ``ui`` module is forgotten, so each is imported first, as in a fresh interpreter; the
# libraries and ``backend`` stay loaded, which a cycle inside ``ui`` does not depend on.
_WALK = """
import importlib, pkgutil, sys
import ui
names = ["ui"] + [m.name for m in pkgutil.walk_packages(ui.__path__, "ui.")]
for name in names:
    for loaded in [m for m in sys.modules if m == "ui" or m.startswith("ui.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except ImportError as error:
        print(f"{name}: {error}")
"""


def test_every_console_module_imports_first_in_a_fresh_interpreter():
    walk = subprocess.run([sys.executable, "-c", _WALK], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert walk.returncode == 0, walk.stderr
    assert walk.stdout == "", f"modules that fail when imported first:\n{walk.stdout}"
