"""`readpath ui`: start the Streamlit app."""

from __future__ import annotations

import math
import os
import sys
from importlib.resources import files

import typer

from ui.settings import load_settings


def app_script() -> str:
    """The app's entry script, found through the installed package rather than the working directory."""
    return str(files("ui.app") / "main.py")


def has_display() -> bool:
    """Whether a browser can be opened: always on macOS and Windows, with X11 or Wayland on Linux."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def streamlit_command(port: int, host: str, headless: bool, upload_mb: float) -> list[str]:
    """The `streamlit run` command line for the app."""
    return [
        sys.executable, "-m", "streamlit", "run", app_script(),
        "--server.port", str(port),
        "--server.address", host,
        "--server.headless", str(headless).lower(),
        # Uploads larger than the PDF limit are refused by the browser before they are sent.
        "--server.maxUploadSize", str(max(1, math.ceil(upload_mb))),
        # An installed app, not a script being edited: no file polling, no telemetry.
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        # Errors the pages do not translate still never show a traceback to the user.
        "--client.showErrorDetails", "none",
        "--client.toolbarMode", "minimal",
    ]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""

    @app.command("ui")
    def ui(
        port: int = typer.Option(8501, "--port", min=1, max=65535, help="Port to listen on."),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: the whole network)."),
        headless: bool = typer.Option(False, "--headless", help="Open no browser (also the case with no display)."),
    ) -> None:
        """Start the Streamlit app: chat with citations, library, taxonomy, plan builder, ingestion.

        Example: readpath ui --port 8502 --headless
        """
        settings = load_settings()
        headless = headless or not has_display()
        typer.echo(f"readpath app: http://{host}:{port}  (data: {settings.home}; Ctrl-C stops it)")
        command = streamlit_command(port, host, headless, settings.max_pdf_mb)
        sys.stdout.flush()
        # exec, not a child process: Ctrl-C and a terminating parent reach Streamlit itself.
        os.execv(command[0], command)
