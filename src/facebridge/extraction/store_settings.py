"""The settings a store was made with (detector, no-face rule, minimum face), so that a re-run never mixes them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from facebridge.errors import DataFormatError, MismatchError
from facebridge.storage import atomic_write

SETTINGS_FILE = "settings.json"


def check_store_settings(out: Path, settings: Mapping[str, object]) -> None:
    """Record ``settings`` in ``out/settings.json``, or refuse when the store was made with other ones.

    Image statuses and face choices depend on these settings, so resuming with different ones would mix two
    protocols in one store. A store made before settings were recorded is adopted as is.
    """
    path = out / SETTINGS_FILE
    if path.is_file():
        try:
            made = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise DataFormatError(f"{path}: not readable JSON; remove it if the store's settings are known") from None
        changed = {k: (made.get(k), v) for k, v in settings.items() if k in made and made[k] != v}
        if changed:
            diff = ", ".join(f"{k} {old!r} (now {new!r})" for k, (old, new) in changed.items())
            raise MismatchError(f"store {out} was made with {diff}; use the same settings or another --out folder")
        settings = {**made, **settings}
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(settings, indent=2, sort_keys=True), encoding="utf-8"))
