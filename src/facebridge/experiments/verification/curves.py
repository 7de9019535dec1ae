"""Reading a curve of accuracy against a budget (training images, map rank): the smallest budget that is enough."""

from __future__ import annotations

from collections.abc import Sequence

#: A budget is within tolerance when its accuracy is at most this many points below the full-budget accuracy.
TOLERANCE_POINTS = 0.5


def smallest_within(
    points: Sequence[tuple[int, float]], full: float, tolerance: float = TOLERANCE_POINTS
) -> int | None:
    """The smallest budget ``b`` such that the accuracy at ``b`` and at every larger budget of ``points``
    ((budget, accuracy in percent) pairs, any order) is >= ``full - tolerance``; None when even the largest
    budget falls short.

    Requiring every larger budget too makes the answer robust to a noisy dip: a small budget that happens to
    score well is not reported when a larger one does not.
    """
    answer = None
    for budget, accuracy in sorted(points, reverse=True):
        if accuracy < full - tolerance:
            break
        answer = budget
    return answer
