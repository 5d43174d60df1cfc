"""Hypothesis settings of the reader fuzz tests: brief in CI, longer in benchmarks/fuzz_readers.py."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings


def fuzz(examples: int) -> settings:
    """`examples` cases, times $LIFT3D_FUZZ_SCALE (1 in CI; the benchmark raises it)."""
    scale = max(1, int(os.environ.get("LIFT3D_FUZZ_SCALE", "1")))
    return settings(
        max_examples=examples * scale, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
