"""`readpath config`: the effective settings and where each came from."""

from __future__ import annotations

import typer
from rich.table import Table

from ui.cli.output import console, print_json
from ui.settings import config_path, describe_settings, load_settings


def register(app: typer.Typer) -> None:
    """Add the config command to the app."""

    @app.command("config")
    def config(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        """Print the effective settings and where each value came from; secrets are never printed.

        Example: READPATH_TOP_K=8 readpath config --json
        """
        views = describe_settings(load_settings())
        if as_json:
            print_json({"config_file": str(config_path()), "settings": views})
            return
        table = Table(title=f"readpath settings (file: {config_path()})")
        for col in ("setting", "value", "source", "description"):
            table.add_column(col, overflow="fold")
        for v in views:
            table.add_row(v.name, v.value, v.source, v.description)
        console.print(table)
