"""Run a batch's conversions in this process or in a pool of local worker processes."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from lift3d.api import load_converter
from lift3d.batch.plan import BatchItem
from lift3d.batch.work import BatchJob, Outcome, convert_from_folder, limit_threads
from lift3d.errors import Lift3DError

Task = Callable[[Path, BatchItem, BatchJob], Outcome]

# Queued tasks per worker: enough that a worker never waits for the parent, few
# enough that an interrupted run has little work in flight.
TASKS_PER_WORKER = 2
PARENT_CHECK_SECONDS = 0.5
# Pictures that each killed a worker on their own, in a row, before the batch gives up.
MAX_DEATHS_IN_A_ROW = 3
WORKER_DIED = (
    "the worker process died while converting this picture (out of memory, or a crash in a native library)"
)


def convert_locally(
    items: Iterable[BatchItem],
    job: BatchJob,
    input_dir: Path,
    workers: int,
    task: Task = convert_from_folder,
) -> Iterator[Outcome]:
    """Outcomes in completion order; one worker converts in this process, more use a process pool.

    `task` is what a worker runs for each item; with a pool it must be importable by
    name (a module-level function), as spawned workers receive it by reference.
    """
    if workers == 1:
        for item in items:
            yield task(input_dir, item, job)
        return
    yield from _convert_in_pool(items, job, input_dir, workers, task)


def _convert_in_pool(
    items: Iterable[BatchItem], job: BatchJob, input_dir: Path, workers: int, task: Task
) -> Iterator[Outcome]:
    """Fan items out to worker processes, each of which loads the converter once.

    When a worker dies, every item in flight is suspect; the suspects are then run one
    at a time in a fresh pool, so only the picture that really kills a worker is
    recorded as failed.
    """
    queue = iter(items)
    suspects: deque[BatchItem] = deque()
    deaths_in_a_row = 0
    # Spawned, not forked: a forked child would share the parent's manifest lock and
    # inherit other threads' locks mid-operation.
    context = multiprocessing.get_context("spawn")
    threads = max(1, (os.cpu_count() or 1) // workers)
    while True:
        pool = ProcessPoolExecutor(
            workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(job.options.generator, threads, os.getpid()),
        )
        finished = False
        try:
            in_flight: dict[Future[Outcome], BatchItem] = {}
            alone: BatchItem | None = None
            broken = False
            while not broken:
                while alone is None:
                    if suspects:
                        if in_flight:
                            break
                        alone = suspects.popleft()
                        in_flight[pool.submit(task, input_dir, alone, job)] = alone
                    elif (
                        len(in_flight) < TASKS_PER_WORKER * workers
                        and (item := next(queue, None)) is not None
                    ):
                        in_flight[pool.submit(task, input_dir, item, job)] = item
                    else:
                        break
                if not in_flight:
                    finished = True
                    return
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    item = in_flight.pop(future)
                    ran_alone = item is alone
                    if ran_alone:
                        alone = None
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        broken = True
                        if not ran_alone:
                            suspects.append(item)
                            continue
                        deaths_in_a_row += 1
                        if deaths_in_a_row >= MAX_DEATHS_IN_A_ROW:
                            raise Lift3DError(
                                f"worker processes keep dying ({deaths_in_a_row} pictures in a row, "
                                f"the last {item.input}); is the machine out of memory?"
                            ) from None
                        outcome = Outcome(item.input, error=WORKER_DIED)
                    else:
                        deaths_in_a_row = 0
                    yield outcome
            suspects.extend(in_flight.values())
        finally:
            _stop(pool, finished)


def _start_worker(generator: str, threads: int, parent_pid: int) -> None:
    """Load the converter once for all this worker's tasks and tie the worker's life to the parent's.

    Ctrl-C is left to the parent, which stops the workers itself. If the parent is
    killed (kill -9), a worker notices within a second and exits, instead of converting
    for nobody.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    try:
        load_converter(generator)
    except Lift3DError:
        pass  # the first task raises it again, where the parent can report it
    limit_threads(threads)


def _exit_with_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _stop(pool: ProcessPoolExecutor, finished: bool) -> None:
    """Shut the pool down; when the run is cut short, end the workers now rather than after their picture."""
    if finished:
        pool.shutdown(wait=True)
        return
    pool.shutdown(wait=False, cancel_futures=True)
    if hasattr(pool, "terminate_workers"):  # Python 3.14+
        pool.terminate_workers()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
