"""The `readpath` command line: thin commands over ui.services, errors translated in one place."""

from __future__ import annotations

import sys
from importlib.metadata import version

import typer

from ui.cli import app_cmd, assistant_cmd, config_cmd, guide_cmd, library_cmd, plan_cmd, search_cmd
from ui.errors import exit_code, user_message

app = typer.Typer(
    name="readpath",
    help="readpath: turn a reading guide into a cited, searchable library and a study plan.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"readpath {version('readpath')}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """readpath: turn a reading guide into a cited, searchable library and a study plan."""


for _module in (config_cmd, guide_cmd, library_cmd, search_cmd, assistant_cmd, plan_cmd, app_cmd):
    _module.register(app)


def main() -> None:
    """Console-script entry point: run the app, turn named errors into messages and exit codes."""
    try:
        app(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(exit_code(KeyboardInterrupt()))
    except Exception as exc:  # noqa: BLE001 - the edge: every error becomes a message and an exit code
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        typer.echo(f"Error: {user_message(exc)}", err=True)
        sys.exit(exit_code(exc))
    except KeyboardInterrupt as exc:
        typer.echo(user_message(exc), err=True)
        sys.exit(exit_code(exc))
