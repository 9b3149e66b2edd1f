"""The `readpath` command line: thin commands over ui.services, errors translated in one place."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import typer
from typer.core import TyperGroup

from ui.cli import app_cmd, assistant_cmd, config_cmd, guide_cmd, library_cmd, plan_cmd, search_cmd
from ui.errors import exit_code, user_message


class _TranslatingGroup(TyperGroup):
    """The root group: every error below it becomes one readable line and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # typer's own signals and usage errors keep their meaning
        except (Exception, KeyboardInterrupt) as exc:
            typer.echo(f"Error: {user_message(exc)}", err=True)
            raise typer.Exit(exit_code(exc)) from exc


app = typer.Typer(
    name="readpath",
    cls=_TranslatingGroup,
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
    show_version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """readpath: turn a reading guide into a cited, searchable library and a study plan."""


for _module in (config_cmd, guide_cmd, library_cmd, search_cmd, assistant_cmd, plan_cmd, app_cmd):
    _module.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
