"""Deterministic synthetic samples (picture + depth maps + mesh) and sharded dataset writing."""

from __future__ import annotations

import logging
import multiprocessing
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from lift3d.data.materials import Material, random_materials
from lift3d.data.render import ViewPlacement, place_in_view, random_lighting, random_view, render
from lift3d.data.shapes import FAMILIES, PartMesh, union_parts
from lift3d.data.shards import DatasetIndex, shard_is_complete, write_index, write_shard
from lift3d.errors import OptionError
from lift3d.types import Sample

logger = logging.getLogger(__name__)

FAMILY_NAMES: tuple[str, ...] = tuple(FAMILIES)

# Retries use derived seeds; after this many failures of the chosen family the sample
# falls back to a plain primitive, which cannot fail, so a long run never stops.
ATTEMPTS_PER_FAMILY = 8

# A view where the object covers fewer pixels than this (a rod seen end-on) teaches
# nothing about shape and is redrawn.
MIN_MASK_FRACTION = 0.01


def family_for_seed(seed: int) -> str:
    """Families go round-robin by seed, so any seed range is balanced across them."""
    return FAMILY_NAMES[seed % len(FAMILY_NAMES)]


@dataclass(frozen=True)
class PlacedShape:
    """A procedural shape turned to a random view, with its materials: ready to render or stylise."""

    part_mesh: PartMesh
    placement: ViewPlacement
    materials: list[Material]
    azimuth_deg: float
    elevation_deg: float


def placed_shape(family: str, rng: np.random.Generator) -> PlacedShape:
    """One draw of a family: one closed solid, a random view, random materials.

    Raises ValueError when the draw is degenerate. The order of draws from `rng` is
    part of every sample's identity: changing it changes every dataset.
    """
    part_mesh = union_parts(FAMILIES[family](rng))
    mesh = part_mesh.mesh
    if not mesh.is_watertight or mesh.volume <= 0 or mesh.body_count != 1:
        raise ValueError(f"{family} shape is not one closed, outward-facing solid")
    azimuth_deg, elevation_deg = random_view(rng)
    placement = place_in_view(np.asarray(mesh.vertices), azimuth_deg, elevation_deg)
    materials = random_materials(part_mesh.roles, rng)
    return PlacedShape(part_mesh, placement, materials, azimuth_deg, elevation_deg)


def build_sample(seed: int, family: str, attempt: int, size: int = 128) -> Sample:
    """One try at a sample; raises ValueError when the shape or view is degenerate."""
    rng = np.random.default_rng([seed, attempt])
    shape = placed_shape(family, rng)
    faces = np.asarray(shape.part_mesh.mesh.faces)
    rendering = render(
        shape.placement.vertices,
        faces,
        shape.part_mesh.face_role,
        shape.materials,
        random_lighting(rng),
        size_px=size,
        texture_rotation=shape.placement.rotation,
    )
    if rendering.mask.mean() < MIN_MASK_FRACTION:
        raise ValueError(f"{family} object covers too little of the picture")
    return Sample(
        rgba=rendering.rgba,
        front_z=rendering.front_z,
        back_z=rendering.back_z,
        vertices=shape.placement.vertices.astype(np.float32),
        faces=faces.astype(np.int32),
        family=family,
        seed=seed,
    )


def generate_sample(seed: int, size: int = 128) -> Sample:
    """The sample for `seed`: same seed, same arrays, on any machine and worker count."""
    family = family_for_seed(seed)
    for attempt in range(2 * ATTEMPTS_PER_FAMILY):
        try_family = family if attempt < ATTEMPTS_PER_FAMILY else "primitive"
        try:
            return build_sample(seed, try_family, attempt, size)
        except ValueError as error:
            logger.debug("seed %d attempt %d (%s) rejected: %s", seed, attempt, try_family, error)
        except Exception:  # a bug in one family must not end a 100k-sample run; it is logged loudly
            logger.warning("seed %d attempt %d (%s) failed", seed, attempt, try_family, exc_info=True)
    raise RuntimeError(f"seed {seed}: no valid sample after {2 * ATTEMPTS_PER_FAMILY} attempts")


def _generate_for_pool(task: tuple[int, int]) -> Sample:
    seed, size = task
    return generate_sample(seed, size)


def synthesize(
    out_dir: str | os.PathLike,
    n: int,
    seed: int,
    size: int = 128,
    shard_size: int = 1000,
    workers: int | None = None,
    progress: bool = True,
) -> Path:
    """Write samples for seeds `seed .. seed + n - 1` as shards in `out_dir`; returns the folder.

    Shards already complete from an earlier run of the same command are kept, so an
    interrupted run resumes where it stopped. Only one shard is held in memory.
    Workers are spawned processes, so a calling script needs the usual
    `if __name__ == "__main__":` guard.
    """
    if n < 1 or shard_size < 1 or size < 8:
        raise OptionError(f"need n >= 1, shard_size >= 1 and size >= 8 (got {n}, {shard_size}, {size})")
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    index = DatasetIndex.plan(FAMILY_NAMES, size=size, seed_start=seed, count=n, shard_size=shard_size)
    write_index(folder, index)
    todo = [shard for shard in index.shards if not shard_is_complete(folder / shard.file, shard, size)]
    total = sum(shard.count for shard in todo)
    workers = min(workers or os.cpu_count() or 1, max(total, 1))
    bar = tqdm(total=n, initial=n - total, disable=not progress, unit="sample", desc="synthesize")
    # spawn, not fork: embree and torch threads in a forked child can deadlock
    pool = multiprocessing.get_context("spawn").Pool(workers) if workers > 1 and total > 1 else None
    try:
        for shard in todo:
            tasks = [(shard.seed_start + k, size) for k in range(shard.count)]
            results = (
                pool.imap(_generate_for_pool, tasks, chunksize=4) if pool else map(_generate_for_pool, tasks)
            )
            samples = []
            for sample in results:
                samples.append(sample)
                bar.update(1)
            write_shard(folder / shard.file, samples, FAMILY_NAMES)
        if pool is not None:
            pool.close()
            pool.join()
    finally:
        if pool is not None:
            pool.terminate()
        bar.close()
    write_index(folder, index.completed(folder))
    return folder
