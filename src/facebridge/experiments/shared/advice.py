"""One-line warnings about what a result can support: maps fitted on too little data, FARs too small to resolve."""

from __future__ import annotations

import math
from collections.abc import Iterable

from facebridge.protocols import VerificationResult

#: Fewer training people than this gives maps that fit the few identities seen rather than the space (a rule of
#: thumb: the study's sample-size curves level off at a few hundred pairs of distinct people).
FEW_PEOPLE = 100


def fit_size_warnings(n_images: int, n_people: int | None, source_dim: int) -> list[str]:
    """Warnings for a map fitted on ``n_images`` images of ``n_people`` people (None: unknown) from a
    ``source_dim``-d space: underdetermined (fewer images than dimensions) and tiny (under :data:`FEW_PEOPLE`)."""
    out = []
    if n_images < source_dim:
        out.append(
            f"warning: the map is fitted on {n_images} images, fewer than the source's {source_dim} dimensions: "
            "underdetermined, so the ridge alpha or rank decides it"
        )
    if n_people is not None and n_people < FEW_PEOPLE:
        out.append(
            f"warning: the map is fitted on images of {n_people} {'person' if n_people == 1 else 'people'} (under "
            f"~{FEW_PEOPLE}): expect it to generalise worse than a map fitted on many people"
        )
    return out


def unresolved_rate_warnings(
    rates: Iterable[float], n_false: int, counts: str, *, figure: str = "TAR @ FAR", trials: str = "impostors"
) -> list[str]:
    """A warning for each false-alarm rate in ``rates`` that ``n_false`` impostor trials cannot resolve (fewer than
    1/rate): ``figure`` names what is read at the rate (``TAR @ FAR``, ``DIR @ FPIR``), ``counts`` the trials behind
    it, ``trials`` the kind needed. One wording for every command that reports such figures."""
    rate_name = figure.split()[-1]
    return [
        f"warning: {figure} {rate:g} is not resolved: {counts} ({rate_name} {rate:g} needs >= {math.ceil(1 / rate)} "
        f"{trials})"
        for rate in rates
        if n_false * rate < 1
    ]


def far_resolution_warnings(v: VerificationResult) -> list[str]:
    """A warning for each TAR@FAR target that the impostor count cannot resolve (fewer than 1/FAR impostors)."""
    return unresolved_rate_warnings(v.tar_at_far, v.n_impostor, f"{v.n_genuine}/{v.n_impostor} genuine/impostor pairs")
