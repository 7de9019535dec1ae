"""Checks of the CLI's own option values; a map's parameters are checked by the estimator itself
(``facebridge.maps._checks``), whose one-line error the CLI prints."""

from __future__ import annotations

import os
from typing import Any

import typer

from facebridge.checks import MAX_SEED
from facebridge.errors import InvalidInputError


def seed_option(help: str) -> Any:
    """A ``--seed`` option: an integer in ``[0, MAX_SEED]`` (what NumPy and scikit-learn accept), refused by the
    parser otherwise (exit code 2), before any work."""
    return typer.Option(min=0, max=MAX_SEED, help=help)


#: ``--workers`` may ask for at most this many processes per CPU: each embedding process loads every model
#: (hundreds of MB), so a typo such as ``--workers 1000`` would exhaust memory long before it sped anything up.
WORKERS_PER_CPU = 4


def check_workers(workers: int) -> int:
    """``--workers`` within ``WORKERS_PER_CPU`` x ``os.cpu_count()`` (the default is one per CPU); else one-line
    InvalidInputError."""
    most = WORKERS_PER_CPU * (os.cpu_count() or 1)
    if workers > most:
        raise InvalidInputError(f"--workers {workers}: at most {most} here ({WORKERS_PER_CPU} per CPU)")
    return workers


def name_list(text: str, option: str) -> list[str]:
    """The comma-separated names of ``option`` (e.g. ``--models``): at least one, none twice."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise InvalidInputError(f"{option} {text!r} names nothing; give comma-separated names")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidInputError(f"{option} names {', '.join(twice)} more than once")
    return names
