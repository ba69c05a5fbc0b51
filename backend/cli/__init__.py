"""The ``mirabelle`` command: one module per command group; the process commands are in ``serve``."""

import typer

from backend.cli.api_keys import api_keys_app
from backend.cli.deliveries import deliveries_app
from backend.cli.insights import insights_app
from backend.cli.ledger import ledger_app
from backend.cli.outbox import outbox_app
from backend.cli.schema import schema_app
from backend.cli.serve import api, console, migrate, worker
from backend.cli.up import up
from backend.cli.users import users_app

app = typer.Typer(help="Mirabelle: the open back office for reward and incentive programmes.", no_args_is_help=True)
for command in (migrate, api, console, worker, up):
    app.command()(command)
app.add_typer(users_app, name="users")
app.add_typer(ledger_app, name="ledger")
app.add_typer(outbox_app, name="outbox")
app.add_typer(schema_app, name="schema")
app.add_typer(api_keys_app, name="api-keys")
app.add_typer(deliveries_app, name="deliveries")
app.add_typer(insights_app, name="insights")
