"""``python -m backend.cli``: how ``mirabelle up`` and the tests start a command in a process of its own."""

from backend.cli import app

app()
