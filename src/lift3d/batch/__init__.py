"""batch stage: convert a folder of pictures into a mirrored folder of assets, resumably, locally or on Ray.

Only the options are imported eagerly, so `lift3d --help` stays fast; `run_batch`
and `BatchSummary` load the pipeline on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lift3d.batch.options import DEFAULT_PATTERNS, EXIT_SOME_FAILED, FORMATS, BatchOptions

if TYPE_CHECKING:
    from lift3d.batch.run import BatchSummary, run_batch

__all__ = ["DEFAULT_PATTERNS", "EXIT_SOME_FAILED", "FORMATS", "BatchOptions", "BatchSummary", "run_batch"]


def __getattr__(name: str) -> Any:
    if name in ("BatchSummary", "run_batch"):
        from lift3d.batch import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
