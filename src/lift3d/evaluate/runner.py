"""Run every method on every sample and score it: the loop behind each benchmark table."""

from __future__ import annotations

import itertools
import logging
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sized

import trimesh
from tqdm import tqdm

from lift3d.errors import OptionError
from lift3d.evaluate.metrics import MeshScores, sample_truth, score_against
from lift3d.evaluate.options import EvalOptions
from lift3d.evaluate.report import EvalReport, EvalRow
from lift3d.types import Sample

__all__ = ["EvalOptions", "Method", "evaluate"]

logger = logging.getLogger(__name__)

# A method sees the whole Sample, ground truth included; honest methods read only `rgba`.
Method = Callable[[Sample], trimesh.Trimesh]


def evaluate(
    samples: Iterable[Sample],
    methods: Mapping[str, Method],
    options: EvalOptions | None = None,
    progress: bool = True,
) -> EvalReport:
    """Score each method on each sample against its ground truth.

    A method that raises, or returns something other than a `trimesh.Trimesh`, is recorded
    as a failure with the worst scores and counted, so one bad sample cannot end a long
    run; Ctrl-C still stops it. Each truth is sampled once and shared by all methods.
    """
    options = options or EvalOptions()
    if not methods:
        raise OptionError("no methods to evaluate")
    methods = dict(methods)
    total = len(samples) if isinstance(samples, Sized) else None
    if options.limit is not None:
        samples = itertools.islice(samples, options.limit)
        total = options.limit if total is None else min(total, options.limit)
    rows: list[EvalRow] = []
    with tqdm(total=total, desc="evaluate", unit="sample", file=sys.stderr, disable=not progress) as bar:
        for index, sample in enumerate(samples):
            truth = sample_truth(sample.mesh(), options)
            for name, method in methods.items():
                bar.set_postfix_str(name, refresh=False)
                predicted, error, seconds = _run_method(method, sample)
                if predicted is None:
                    logger.warning(
                        "method %s failed on sample %d (%s): %s", name, index, sample.family, error
                    )
                    scores = MeshScores.failure(options)
                else:
                    scores = score_against(predicted, truth, options)
                rows.append(EvalRow(name, index, sample.family, sample.seed, scores, seconds, error))
            bar.update()
    return EvalReport.from_rows(rows, options)


def _run_method(method: Method, sample: Sample) -> tuple[trimesh.Trimesh | None, str | None, float]:
    """Call a method and time it: (mesh, None, seconds) on success, (None, why, seconds) on failure."""
    start = time.perf_counter()
    try:
        predicted = method(sample)
    except Exception as exception:  # a broken method is a result to report, not a crash
        return None, f"{type(exception).__name__}: {exception}", time.perf_counter() - start
    seconds = time.perf_counter() - start
    if not isinstance(predicted, trimesh.Trimesh):
        return None, f"returned {type(predicted).__name__}, not a trimesh.Trimesh", seconds
    return predicted, None, seconds
