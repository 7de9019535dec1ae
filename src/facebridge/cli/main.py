"""The ``facebridge`` console script: one Typer app, each command one API call.

Errors from the library become one line on stderr and exit code 2 (see :func:`main`); no traceback reaches
the user for bad input.
"""

from __future__ import annotations

import typer

from facebridge.errors import FacebridgeError

app = typer.Typer(
    name="facebridge",
    help="Learn maps between face-recognition embedding spaces and measure what they cost in accuracy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_USAGE = 2


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code.

    Usage errors are Typer's (exit 2); library errors and unreadable files become ``facebridge: error: ...`` on
    stderr and exit 2; an interrupt says that finished work is kept.
    """
    from facebridge.cli import audit_commands, commands  # noqa: F401  (registers the commands on ``app``)

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
