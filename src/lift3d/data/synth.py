"""Deterministic synthetic samples (picture + depth maps + mesh) and sharded dataset writing."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from lift3d.data.deform import Deformation, random_deformation
from lift3d.data.materials import Material, random_materials
from lift3d.data.render import ViewPlacement, place_in_view, random_lighting, random_view, render
from lift3d.data.shapes import FAMILIES, V1_FAMILY_NAMES, V3_FAMILY_NAMES, PartMesh, union_parts
from lift3d.data.shards import (
    INDEX_NAME,
    DatasetIndex,
    read_index,
    shard_is_complete,
    write_index,
    write_shard,
)
from lift3d.errors import OptionError
from lift3d.types import Sample

logger = logging.getLogger(__name__)

# The default mix of `generate_sample` and `synthesize` stays the eight v1 families, so
# every existing dataset and the held-out set regenerate seed for seed; new mixes name
# their families (`lift3d data synth` uses the v1 and v2 ones unless told otherwise; the v3
# families are asked for by name, so the v2 recipes regenerate seed for seed too).
FAMILY_NAMES: tuple[str, ...] = V1_FAMILY_NAMES
V2_FAMILY_NAMES: tuple[str, ...] = tuple(
    name for name in FAMILIES if name not in V1_FAMILY_NAMES + V3_FAMILY_NAMES
)
SYNTH_FAMILY_NAMES: tuple[str, ...] = V1_FAMILY_NAMES + V2_FAMILY_NAMES

# Share of solids bent, tapered or twisted by `lift3d data synth` unless told otherwise.
DEFAULT_DEFORM_SHARE = 0.25

# Deformations are drawn from their own stream of the sample's seed, so turning them on
# or off never shifts a family's own draws.
DEFORM_STREAM = 7

# Retries use derived seeds; after this many failures of the chosen family the sample
# falls back to a plain primitive, which cannot fail, so a long run never stops.
ATTEMPTS_PER_FAMILY = 8

# A view where the object covers fewer pixels than this (a rod seen end-on) teaches
# nothing about shape and is redrawn.
MIN_MASK_FRACTION = 0.01


def family_for_seed(seed: int, families: Sequence[str] = FAMILY_NAMES) -> str:
    """Families go round-robin by seed, so any seed range is balanced across them."""
    return families[seed % len(families)]


# Shorthands accepted in a family list: "v1" is the original mix (every dataset made
# before v2, the held-out set), "v2" the families added with it, "v3" the thin parts.
FAMILY_GROUPS: dict[str, tuple[str, ...]] = {
    "v1": V1_FAMILY_NAMES,
    "v2": V2_FAMILY_NAMES,
    "v3": V3_FAMILY_NAMES,
    "all": tuple(FAMILIES),
}


def check_families(families: Sequence[str]) -> tuple[str, ...]:
    """The family names as a tuple, groups expanded; an unknown or repeated name is an OptionError."""
    names = tuple(name for group in families for name in FAMILY_GROUPS.get(group, (group,)))
    unknown = [name for name in names if name not in FAMILIES]
    if unknown or not names or len(set(names)) != len(names):
        raise OptionError(
            f"families must be distinct names from {', '.join(FAMILIES)} or the groups v1, v2, v3, all "
            f"(got {', '.join(names) or 'none'})"
        )
    return names


def draw_deformation(seed: int, attempt: int, share: float) -> Deformation | None:
    """The deformation of a sample, or None: drawn from the seed's own deformation stream."""
    if share <= 0.0:
        return None
    rng = np.random.default_rng([seed, attempt, DEFORM_STREAM])
    return random_deformation(rng) if rng.random() < share else None


@dataclass(frozen=True)
class PlacedShape:
    """A procedural shape turned to a random view, with its materials: ready to render or stylise."""

    part_mesh: PartMesh
    placement: ViewPlacement
    materials: list[Material]
    azimuth_deg: float
    elevation_deg: float


def placed_shape(
    family: str, rng: np.random.Generator, deformation: Deformation | None = None
) -> PlacedShape:
    """One draw of a family (maybe deformed): one closed solid, a random view, random materials.

    Raises ValueError when the draw is degenerate. The order of draws from `rng` is
    part of every sample's identity: changing it changes every dataset.
    """
    part_mesh = union_parts(FAMILIES[family](rng), deformation)
    mesh = part_mesh.mesh
    if not mesh.is_watertight or mesh.volume <= 0 or mesh.body_count != 1:
        raise ValueError(f"{family} shape is not one closed, outward-facing solid")
    azimuth_deg, elevation_deg = random_view(rng)
    placement = place_in_view(np.asarray(mesh.vertices), azimuth_deg, elevation_deg)
    materials = random_materials(part_mesh.roles, rng)
    return PlacedShape(part_mesh, placement, materials, azimuth_deg, elevation_deg)


def build_sample(seed: int, family: str, attempt: int, size: int = 128, deform_share: float = 0.0) -> Sample:
    """One try at a sample; raises ValueError when the shape or view is degenerate."""
    rng = np.random.default_rng([seed, attempt])
    shape = placed_shape(family, rng, draw_deformation(seed, attempt, deform_share))
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


def generate_sample(
    seed: int, size: int = 128, families: Sequence[str] = FAMILY_NAMES, deform_share: float = 0.0
) -> Sample:
    """The sample for `seed`: same seed, same arrays, on any machine and worker count.

    `families` is the round-robin mix and `deform_share` the share of deformed solids;
    both are part of the sample's identity (the defaults give the v1 datasets).
    """
    family = family_for_seed(seed, families)
    for attempt in range(2 * ATTEMPTS_PER_FAMILY):
        try_family = family if attempt < ATTEMPTS_PER_FAMILY else "primitive"
        try:
            return build_sample(seed, try_family, attempt, size, deform_share)
        except ValueError as error:
            logger.debug("seed %d attempt %d (%s) rejected: %s", seed, attempt, try_family, error)
        except Exception:  # a bug in one family must not end a 100k-sample run; it is logged loudly
            logger.warning("seed %d attempt %d (%s) failed", seed, attempt, try_family, exc_info=True)
    raise RuntimeError(f"seed {seed}: no valid sample after {2 * ATTEMPTS_PER_FAMILY} attempts")


def _generate_for_pool(task: tuple[int, int, tuple[str, ...], float]) -> Sample:
    seed, size, families, deform_share = task
    return generate_sample(seed, size, families, deform_share)


def synthesize(
    out_dir: str | os.PathLike,
    n: int,
    seed: int,
    size: int = 128,
    shard_size: int = 1000,
    workers: int | None = None,
    progress: bool = True,
    families: Sequence[str] = FAMILY_NAMES,
    deform_share: float = 0.0,
) -> Path:
    """Write samples for seeds `seed .. seed + n - 1` as shards in `out_dir`; returns the folder.

    Seeds go round-robin over `families`; `deform_share` of the solids are bent, tapered
    or twisted. Both are recorded in index.json. Shards already complete from an earlier
    run of the same command are kept, so an interrupted run resumes where it stopped
    (a folder planned with other families or share is refused). Only one shard is held in memory.
    Workers are spawned processes, so a calling script needs the usual
    `if __name__ == "__main__":` guard.
    """
    if n < 1 or shard_size < 1 or size < 8:
        raise OptionError(f"need n >= 1, shard_size >= 1 and size >= 8 (got {n}, {shard_size}, {size})")
    if not 0.0 <= deform_share <= 1.0:
        raise OptionError(f"deform_share must be between 0 and 1, got {deform_share}")
    families = check_families(families)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    index = DatasetIndex.plan(
        families, size=size, seed_start=seed, count=n, shard_size=shard_size, deform_share=deform_share
    )
    if (folder / INDEX_NAME).is_file():
        earlier = read_index(folder)
        if (earlier.families, earlier.deform_share) != (families, deform_share):
            raise OptionError(
                f"{folder} holds a dataset of families {','.join(earlier.families)} with deform share "
                f"{earlier.deform_share}; use another folder for a different mix"
            )
    write_index(folder, index)
    todo = [shard for shard in index.shards if not shard_is_complete(folder / shard.file, shard, size)]
    total = sum(shard.count for shard in todo)
    workers = min(workers or os.cpu_count() or 1, max(total, 1))
    bar = tqdm(total=n, initial=n - total, disable=not progress, unit="sample", desc="synthesize")
    # spawn, not fork: embree and torch threads in a forked child can deadlock
    pool = multiprocessing.get_context("spawn").Pool(workers) if workers > 1 and total > 1 else None
    try:
        for shard in todo:
            tasks = [(shard.seed_start + k, size, families, deform_share) for k in range(shard.count)]
            results = (
                pool.imap(_generate_for_pool, tasks, chunksize=4) if pool else map(_generate_for_pool, tasks)
            )
            samples = []
            for sample in results:
                samples.append(sample)
                bar.update(1)
            write_shard(folder / shard.file, samples, families)
        if pool is not None:
            pool.close()
            pool.join()
    finally:
        if pool is not None:
            pool.terminate()
        bar.close()
    write_index(folder, index.completed(folder))
    return folder
