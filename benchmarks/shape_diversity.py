"""How close do training shapes come to real ones? Nearest-neighbour distances, v1, v1+v2, v1+v2+v3.

For every mesh of the real-shape evaluation set (`lift3d.evaluate.real`, never trained
on), the distance to its nearest neighbour among a sample of training solids, under a
descriptor blind to pose and size (`lift3d.evaluate.diversity`: D1/D2/A3 shape
distributions + principal spreads). Pools of the same size are drawn from the v1 mix
(8 families, no deformation), the v1+v2 mix (all families, deformations at the synth
default), v2 alone and v1+v2+v3 (the thin parts added); a smaller distance means the training data holds shapes more like
the real one. Prints a table and writes benchmarks/results/shape_diversity.json.

    python benchmarks/shape_diversity.py [--pool 448] [--meshes 'some/dir/*.stl']

`--meshes` replaces the real set by any mesh files (for development).
"""

from __future__ import annotations

import argparse
import glob
import json
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import trimesh

from lift3d.data.shapes import FAMILIES, V1_FAMILY_NAMES, union_parts
from lift3d.data.synth import (
    DEFAULT_DEFORM_SHARE,
    FAMILY_GROUPS,
    SYNTH_FAMILY_NAMES,
    V2_FAMILY_NAMES,
    draw_deformation,
    family_for_seed,
)
from lift3d.evaluate.diversity import ShapeDescriptor, describe, descriptor_distance, nearest_neighbours

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def training_shape(seed: int, families: Sequence[str], deform_share: float) -> tuple[str, trimesh.Trimesh]:
    """The solid a training sample of this seed would show (retries as synth does)."""
    family = family_for_seed(seed, families)
    for attempt in range(8):
        try:
            rng = np.random.default_rng([seed, attempt])
            mesh = union_parts(FAMILIES[family](rng), draw_deformation(seed, attempt, deform_share)).mesh
        except ValueError:
            continue
        if mesh.is_watertight and mesh.volume > 0 and mesh.body_count == 1:
            return family, mesh
    raise RuntimeError(f"seed {seed}: no valid {family} solid")


def training_pool(
    size: int, families: Sequence[str], deform_share: float
) -> tuple[list[str], list[ShapeDescriptor]]:
    names, descriptors = [], []
    for seed in range(size):
        family, mesh = training_shape(seed, families, deform_share)
        names.append(family)
        descriptors.append(describe(mesh, seed=seed))
    return names, descriptors


def reference_set(pattern: str | None) -> list[tuple[str, str, trimesh.Trimesh]]:
    """(name, family, mesh) of the real-shape set, or of the files matching `pattern`."""
    if pattern:
        return [
            (Path(path).stem, "files", trimesh.load(path, force="mesh", process=True))
            for path in sorted(glob.glob(pattern))
        ]
    from lift3d.evaluate.real import CATALOGUE, UnclosableMeshError, load_real_mesh, require_packages

    folders = require_packages()
    meshes = []
    for item in CATALOGUE:
        try:
            meshes.append((item.name, item.family, load_real_mesh(item, folders)))
        except UnclosableMeshError:
            continue
    return meshes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=int, default=448, help="training solids per pool [default: 448]")
    parser.add_argument("--meshes", default=None, help="glob of mesh files to use instead of the real set")
    args = parser.parse_args()
    started = time.perf_counter()
    reference = reference_set(args.meshes)
    queries = [describe(mesh, seed=0) for _, _, mesh in reference]
    # the descriptor's own noise: each reference mesh against a resampling of itself
    floor = float(
        np.mean(
            [
                descriptor_distance(query, describe(mesh, seed=1))
                for query, (_, _, mesh) in zip(queries, reference, strict=True)
            ]
        )
    )
    pools = {
        "v1 (8 families)": (V1_FAMILY_NAMES, 0.0),
        f"v1+v2 ({len(SYNTH_FAMILY_NAMES)} families, {DEFAULT_DEFORM_SHARE:.0%} deformed)": (
            SYNTH_FAMILY_NAMES,
            DEFAULT_DEFORM_SHARE,
        ),
        f"v2 only ({len(V2_FAMILY_NAMES)} families, {DEFAULT_DEFORM_SHARE:.0%} deformed)": (
            V2_FAMILY_NAMES,
            DEFAULT_DEFORM_SHARE,
        ),
        f"v1+v2+v3 ({len(FAMILY_GROUPS['all'])} families, {DEFAULT_DEFORM_SHARE:.0%} deformed)": (
            FAMILY_GROUPS["all"],
            DEFAULT_DEFORM_SHARE,
        ),
    }
    results: dict[str, dict] = {}
    per_mesh: dict[str, np.ndarray] = {}
    for label, (families, share) in pools.items():
        names, descriptors = training_pool(args.pool, families, share)
        distances, nearest = nearest_neighbours(queries, descriptors)
        per_mesh[label] = distances
        results[label] = {
            "families": list(families),
            "deform_share": share,
            "pool": args.pool,
            "mean_nn": float(distances.mean()),
            "median_nn": float(np.median(distances)),
            "nearest_family_counts": dict(Counter(names[k] for k in nearest).most_common()),
            "nearest_family": {ref[0]: names[k] for ref, k in zip(reference, nearest, strict=True)},
        }
    v1_label = next(iter(pools))
    print(
        f"{len(reference)} reference meshes, pools of {args.pool} training solids, lower is closer "
        f"(a mesh against its own resampling: {floor:.4f})\n"
    )
    print("| pool | mean NN distance | median | vs v1 (paired mean +- s.e.) | closer than v1 on |")
    print("|---|---|---|---|---|")
    for label, row in results.items():
        change = per_mesh[label] - per_mesh[v1_label]
        closer = int((change < -1e-12).sum())
        row["closer_than_v1"] = closer
        row["change_vs_v1"] = float(change.mean())
        row["change_vs_v1_se"] = float(change.std(ddof=1) / np.sqrt(len(change))) if len(change) > 1 else 0.0
        print(
            f"| {label} | {row['mean_nn']:.4f} | {row['median_nn']:.4f} | "
            f"{row['change_vs_v1']:+.4f} +- {row['change_vs_v1_se']:.4f} | {closer}/{len(reference)} |"
        )
    families = sorted({family for _, family, _ in reference})
    labels = list(pools)
    print("\n| reference family | objects | " + " | ".join(labels) + " |")
    print("|---|---|" + "---|" * len(labels))
    by_family = {}
    for family in families:
        mask = np.array([ref_family == family for _, ref_family, _ in reference])
        means = {label: float(per_mesh[label][mask].mean()) for label in labels}
        by_family[family] = {"objects": int(mask.sum()), **means}
        print(
            f"| {family} | {int(mask.sum())} | "
            + " | ".join(f"{means[label]:.4f}" for label in labels)
            + " |"
        )
    all_label = labels[1]
    print(f"\nnearest training family in the {all_label} pool: {results[all_label]['nearest_family_counts']}")
    payload = {
        "descriptor": "D1/D2/A3 CDFs (32 bins, EMD) + principal spreads, lift3d.evaluate.diversity",
        "reference": "files " + args.meshes if args.meshes else "lift3d.evaluate.real CATALOGUE",
        "resampling_floor": floor,
        "pools": results,
        "by_reference_family": by_family,
        "per_mesh": {
            ref[0]: {label: float(per_mesh[label][k]) for label in labels} for k, ref in enumerate(reference)
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "shape_diversity.json").write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
