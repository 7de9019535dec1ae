"""The whole CLI as one click command, for the docs site's generated reference (mkdocs-click reads :data:`command`)."""

from __future__ import annotations

import typer

from facebridge.cli.main import app, load_commands

load_commands()
#: Every registered command, as click sees them (what ``facebridge --help`` lists).
command = typer.main.get_command(app)
