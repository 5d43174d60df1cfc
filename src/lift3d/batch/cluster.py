"""Run a batch's conversions on a Ray cluster: one converter per actor, every file written by the driver.

How to point a batch at a cluster (every machine needs the same Python and lift3d
version, installed with `pip install "lift3d[cluster]"`):

    # on the head machine
    ray start --head --port=6379
    # on every other machine, with the address the head printed
    ray start --address=HEAD_IP:6379
    # on the head machine (or any cluster machine): pictures are read and assets
    # written here, by the driver, so workers need no shared folder
    lift3d batch pictures/ assets/ --ray auto
    # from a laptop outside the cluster, through Ray Client (port 10001 on the head)
    lift3d batch pictures/ assets/ --ray ray://HEAD_IP:10001

`--workers N` starts N actors (default: one per `--cpus-per-worker` CPUs of the
cluster); each loads the model once. `--ray local` starts a private Ray on this
machine, to try the set-up without a cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from lift3d.batch.plan import BatchItem
from lift3d.batch.work import BatchJob, Outcome, PictureWorker, failed, read_input
from lift3d.errors import InputError, Lift3DError, OptionError

INSTALL_HINT = "pip install 'lift3d[cluster]'"
# Tasks queued per actor: one running and one waiting, so an actor never idles while
# the driver reads the next picture, yet few pictures sit in the object store.
TASKS_PER_ACTOR = 2
ACTOR_DIED = (
    "the Ray worker died while converting this picture (out of memory, or a crash in a native library)"
)


def import_ray() -> ModuleType:
    """The `ray` module, or a one-line error saying how to install it."""
    try:
        import ray
    except ImportError:
        raise Lift3DError(f"--ray needs Ray, which is not installed: {INSTALL_HINT}") from None
    return ray


def convert_on_ray(
    items: Iterable[BatchItem],
    job: BatchJob,
    input_dir: Path,
    address: str,
    workers: int | None,
    cpus_per_worker: float,
) -> Iterator[Outcome]:
    """Outcomes in completion order from a pool of actors on the cluster at `address`.

    If Ray is already initialised in this process (a notebook, a test), that session
    is used and left running.
    """
    ray = import_ray()
    connected_here = _connect(ray, address)
    actors: list[Any] = []
    try:
        _check_fits(ray, cpus_per_worker)
        if workers is None:
            cluster_cpus = float(ray.cluster_resources().get("CPU", 1))
            workers = max(1, int(cluster_cpus // cpus_per_worker))
        remote_worker = ray.remote(num_cpus=cpus_per_worker, max_restarts=1, max_task_retries=1)(
            PictureWorker
        )
        threads = max(1, int(cpus_per_worker))
        actors = [remote_worker.remote(job.options.generator, threads) for _ in range(workers)]
        yield from _schedule(ray, actors, items, job, input_dir)
    finally:
        for actor in actors:
            ray.kill(actor)
        if connected_here:
            ray.shutdown()


def _connect(ray: ModuleType, address: str) -> bool:
    """Join the cluster; True when this call started the Ray session (and so must end it)."""
    if ray.is_initialized():
        return False
    # A private instance started for this run needs no dashboard (and its extra processes).
    private = {"include_dashboard": False} if address == "local" else {}
    try:
        ray.init(
            address=address,
            logging_level=logging.WARNING,
            log_to_driver=False,  # worker output would tear through the progress bar
            **private,
        )
    except ConnectionError as error:
        raise Lift3DError(
            f"cannot connect to a Ray cluster at {address!r} ({_first_line(error)}); "
            "start one with `ray start --head`, or use --ray local"
        ) from None
    except (ValueError, RuntimeError) as error:
        raise Lift3DError(f"cannot use Ray at {address!r}: {_first_line(error)}") from None
    return True


def _check_fits(ray: ModuleType, cpus_per_worker: float) -> None:
    """Refuse an actor size no machine can hold: Ray would wait for it forever, silently."""
    largest = max((node["Resources"].get("CPU", 0.0) for node in ray.nodes() if node["Alive"]), default=0.0)
    if cpus_per_worker > largest:
        raise OptionError(
            f"--cpus-per-worker {cpus_per_worker:g} is more than any Ray machine has (at most {largest:g})"
        )


def _schedule(
    ray: ModuleType, actors: list[Any], items: Iterable[BatchItem], job: BatchJob, input_dir: Path
) -> Iterator[Outcome]:
    """Keep every ready actor busy; yield each outcome as it arrives.

    An actor is used once its converter has loaded. Pictures are read here, in the
    driver, only when an actor is about to take them.
    """
    queue = iter(items)
    loading = {actor.ready.remote(): actor for actor in actors}
    load: dict[Any, int] = {}  # ready actor -> its tasks in flight
    in_flight: dict[Any, tuple[Any, BatchItem]] = {}
    exhausted = False
    last_death = ""
    while True:
        for actor in [actor for actor, tasks in load.items() if tasks < TASKS_PER_ACTOR]:
            while not exhausted and load[actor] < TASKS_PER_ACTOR:
                item = next(queue, None)
                if item is None:
                    exhausted = True
                    break
                try:
                    data = read_input(input_dir, item)
                except InputError as error:
                    yield failed(item, error)
                    continue
                in_flight[actor.convert.remote(data, item, job)] = (actor, item)
                load[actor] += 1
        if not in_flight and (exhausted or not loading):
            if not exhausted and not load:
                raise Lift3DError(f"no Ray worker is left: every one failed to start or died ({last_death})")
            return
        ready, _ = ray.wait([*in_flight, *loading], num_returns=1)
        reference = ready[0]
        if reference in loading:
            actor = loading.pop(reference)
            load_error = _get(ray, reference)
            if isinstance(load_error, Lift3DError):
                raise load_error  # e.g. missing weights: every actor would fail alike
            if isinstance(load_error, BaseException):
                last_death = _first_line(load_error)
                continue  # this actor could not start; the others carry on
            load[actor] = 0
            continue
        actor, item = in_flight.pop(reference)
        result = _get(ray, reference)
        if isinstance(result, BaseException):
            last_death = _first_line(result)
            load.pop(actor, None)  # dead even after its restart: no more work for it
            yield Outcome(item.input, error=f"{ACTOR_DIED}: {last_death}")
            continue
        if actor in load:
            load[actor] -= 1
        yield result


def _get(ray: ModuleType, reference: Any) -> Any:
    """The task's result, or the Ray error that ended its actor (returned, not raised)."""
    try:
        return ray.get(reference)
    except ray.exceptions.RayError as error:
        return error


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
