"""A picture that kills its worker process fails alone; the pictures beside it still convert."""

from __future__ import annotations

import os
from pathlib import Path

from batch_pictures import FAST_OPTIONS

from lift3d.batch.local import WORKER_DIED, convert_locally
from lift3d.batch.plan import BatchItem
from lift3d.batch.work import BatchJob, Outcome

KILLER = "c.png"


def convert_or_die(input_dir: Path, item: BatchItem, job: BatchJob) -> Outcome:
    """Stands in for a conversion that crashes its process (a segfault, the OOM killer)."""
    if item.input == KILLER:
        os._exit(1)
    return Outcome(item.input, faces=1)


def test_only_the_picture_that_kills_its_worker_fails(tmp_path: Path) -> None:
    items = [BatchItem(name, Path(name).stem, 1, 0) for name in ("a.png", "b.png", KILLER, "d.png", "e.png")]
    job = BatchJob(FAST_OPTIONS, "glb")
    outcomes = {
        outcome.input: outcome for outcome in convert_locally(items, job, tmp_path, 2, convert_or_die)
    }
    assert sorted(outcomes) == sorted(item.input for item in items)
    assert outcomes[KILLER].error == WORKER_DIED
    assert all(
        outcome.faces == 1 and not outcome.error for name, outcome in outcomes.items() if name != KILLER
    )
