"""The ``facebridge`` console script: one Typer app, each command one API call.

Errors from the library become one line on stderr and exit code 2 (see :func:`main`); no traceback reaches
the user for bad input.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer
from typer.core import TyperGroup

from facebridge.errors import FacebridgeError

#: Commands in the order a user runs them; ``--help`` lists them so (any other command after these).
WORKFLOW = (
    "data",
    "models",
    "embed",
    "fit",
    "transform",
    "pairs",
    "evaluate",
    "export-onnx",
    "migrate",
    "search",
    "identify",
    "upgrade",
    "shifted-split",
    "shifted",
    "native",
    "reproduce",
    "audit",
    "canon",
)


class WorkflowGroup(TyperGroup):
    """Lists the commands in :data:`WORKFLOW` order rather than the order their modules registered them."""

    # typer's base takes its vendored click's Context (typer._click), which has no public name
    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        names = super().list_commands(ctx)
        rank = {name: i for i, name in enumerate(WORKFLOW)}
        return sorted(names, key=lambda n: rank.get(n, len(WORKFLOW)))


app = typer.Typer(
    name="facebridge",
    cls=WorkflowGroup,
    help="Learn maps between face-recognition embedding spaces and measure what they cost in accuracy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        try:
            typer.echo(f"facebridge {version('facebridge')}")
        except PackageNotFoundError:  # a source tree that was never installed
            typer.echo("facebridge (not installed)")
        raise typer.Exit()


@app.callback()
def _root(
    _: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Learn maps between face-recognition embedding spaces and measure what they cost in accuracy."""

EXIT_USAGE = 2


def load_commands() -> None:
    """Register every command on :data:`app` (each module adds its own; imported late to keep ``--help`` light)."""
    from facebridge.cli import (  # noqa: F401  (register them)
        audit_commands,
        canon_commands,
        commands,
        data_commands,
        map_commands,
        model_commands,
        photo_commands,
        pipeline_commands,
        shifted_commands,
        upgrade_commands,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code.

    Usage errors are Typer's (exit 2); library errors and unreadable files become ``facebridge: error: ...`` on
    stderr and exit 2; an interrupt says that finished work is kept.
    """
    load_commands()
    try:
        app(args=argv, prog_name="facebridge")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except (FacebridgeError, OSError, UnicodeDecodeError) as exc:
        typer.echo(f"facebridge: error: {exc}", err=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        typer.echo("facebridge: interrupted; finished work is kept, re-run to resume", err=True)
        return 130
    return 0
