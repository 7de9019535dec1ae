"""CLI commands; each parses options, calls one API function and prints its result."""

from __future__ import annotations

from facebridge.cli.main import app

__all__ = ["app"]
