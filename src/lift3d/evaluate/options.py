"""Settings of an evaluation run, shared by the metrics, the runner and the report."""

from __future__ import annotations

import math
from dataclasses import dataclass

from lift3d.errors import OptionError


@dataclass(frozen=True)
class EvalOptions:
    """How meshes are compared; recorded in every report so a score can be reproduced."""

    points: int = 10_000  # surface points sampled from each mesh (area-weighted)
    thresholds: tuple[float, ...] = (0.02, 0.05)  # F-score distances, in normalised-box units
    align: bool = True  # fit a similarity (ICP with scale) of the prediction onto the truth
    limit: int | None = None  # evaluate at most this many samples; None = all
    seed: int = 0  # seeds the surface sampling, so repeated runs give identical scores

    def __post_init__(self) -> None:
        if isinstance(self.points, bool) or not isinstance(self.points, int) or self.points < 100:
            raise OptionError(f"points must be an integer >= 100, got {self.points!r}")
        try:
            thresholds = tuple(float(tau) for tau in self.thresholds)
        except (TypeError, ValueError):
            raise OptionError(f"thresholds must be numbers, got {self.thresholds!r}") from None
        if not thresholds or not all(math.isfinite(tau) and tau > 0 for tau in thresholds):
            raise OptionError(f"thresholds must be positive finite numbers, got {self.thresholds!r}")
        if len(set(thresholds)) != len(thresholds):
            raise OptionError(f"thresholds must not repeat, got {self.thresholds!r}")
        # A list (as read back from JSON) becomes a tuple, so options stay hashable and comparable.
        object.__setattr__(self, "thresholds", thresholds)
        if not isinstance(self.align, bool):
            raise OptionError(f"align must be true or false, got {self.align!r}")
        if self.limit is not None and (
            isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 1
        ):
            raise OptionError(f"limit must be a positive integer or None, got {self.limit!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise OptionError(f"seed must be a non-negative integer, got {self.seed!r}")
