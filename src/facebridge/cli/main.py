"""The ``facebridge`` console script: one Typer app, each command one API call.

Errors from the library become one line on stderr and exit code 2 (see :func:`main`); no traceback reaches
the user for bad input.
"""

from __future__ import annotations

import sys

import typer

from facebridge.errors import FacebridgeError

app = typer.Typer(
    name="facebridge",
    help="Learn maps between face-recognition embedding spaces and measure what they cost in accuracy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_USAGE = 2


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; library errors and unreadable files become ``facebridge: error: ...`` and exit 2."""
    from facebridge.cli import commands  # noqa: F401  (registers the commands on ``app``)

    try:
        app(args=argv, standalone_mode=False)
    except FacebridgeError as exc:
        typer.echo(f"facebridge: error: {exc}", err=True)
        return EXIT_USAGE
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"facebridge: error: {exc}", err=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        typer.echo("facebridge: interrupted; finished work is kept, re-run to resume", err=True)
        return 130
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        return 1
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
