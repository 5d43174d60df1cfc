"""Adapter training data: a user's meshes, picture/mesh pairs or synthetic shapes, in a style.

Every pair is a model-size condition (picture on white + coverage) and its shape maps,
framed exactly like the base model's synthetic data (same view frame, OBJECT_FILL),
plus where it came from so held-out pairs can be scored as meshes at the end.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import trimesh
from tqdm import tqdm

from lift3d.data.materials import Material, random_materials
from lift3d.data.render import place_in_view, random_lighting, random_view, render
from lift3d.data.styles import StyledView, stylize
from lift3d.errors import InputError, OptionError
from lift3d.generate.diffusion.model import COVERAGE, make_condition
from lift3d.training.base import shrink_sample_arrays

logger = logging.getLogger(__name__)

MESH_SUFFIXES = (".glb", ".obj", ".ply", ".stl")
MAX_MESH_BYTES = 256 * 1024 * 1024
MAX_MESH_FACES = 1_000_000  # a ray-cast render per view; more faces than this is a scan, not an asset
RENDER_PX = 128  # pictures are rendered at this size and averaged down to the model's
MIN_COVERAGE = 0.01  # a view where the object is a sliver is redrawn
SYNTHETIC_SEED_START = 500_000_000  # apart from base training (low seeds) and held-out (1e9)


@dataclass
class TrainingPairs:
    """Conditions and target maps at the model's size, with the source of each pair."""

    condition: torch.Tensor  # (N, 4, s, s) float16 in [-1, 1]
    maps: torch.Tensor  # (N, 2, s, s) float16
    group: np.ndarray  # (N,) int: pairs of one mesh share a group and are held out together
    sources: list[dict]  # how to rebuild each pair's ground-truth mesh (see truth_mesh)
    summary: dict = field(default_factory=dict)  # recorded in the adapter's metadata

    def __len__(self) -> int:
        return len(self.condition)

    def subset(self, index: np.ndarray) -> TrainingPairs:
        return TrainingPairs(
            condition=self.condition[torch.from_numpy(index)],
            maps=self.maps[torch.from_numpy(index)],
            group=self.group[index],
            sources=[self.sources[i] for i in index],
            summary=self.summary,
        )

    def split(self, heldout_fraction: float, seed: int) -> tuple[TrainingPairs, TrainingPairs | None]:
        """Hold out whole meshes (not views of a training mesh) for the final comparison."""
        groups = np.unique(self.group)
        count = int(round(heldout_fraction * len(groups)))
        if heldout_fraction > 0 and len(groups) >= 2:
            count = min(max(count, 1), len(groups) - 1)
        if count == 0:
            return self, None
        heldout_groups = np.random.default_rng(seed).permutation(groups)[:count]
        held = np.isin(self.group, heldout_groups)
        return self.subset(np.flatnonzero(~held)), self.subset(np.flatnonzero(held))


def load_user_mesh(path: str | os.PathLike, max_faces: int = MAX_MESH_FACES) -> trimesh.Trimesh:
    """Read one mesh file safely (GLB, OBJ, PLY, STL); refuse huge, empty or non-mesh files."""
    path = Path(path)
    if path.suffix.lower() not in MESH_SUFFIXES:
        raise InputError(f"{path.name}: not a mesh file (expected {', '.join(MESH_SUFFIXES)})")
    try:
        size = path.stat().st_size
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from None
    if size > MAX_MESH_BYTES:
        raise InputError(f"{path.name}: {size / 2**20:.0f} MB is more than {MAX_MESH_BYTES // 2**20} MB")
    if size == 0:
        raise InputError(f"{path.name}: file is empty")
    try:
        loaded = trimesh.load(path, force="mesh", process=True)
    except Exception as error:  # trimesh's many loaders raise many types; the user needs one line
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"{path.name}: cannot read the mesh ({message})") from None
    if not isinstance(loaded, trimesh.Trimesh):
        raise InputError(f"{path.name}: not a triangle mesh ({type(loaded).__name__})")
    if len(loaded.faces) == 0:
        raise InputError(f"{path.name}: the mesh has no triangles")
    if len(loaded.faces) > max_faces:
        raise InputError(f"{path.name}: {len(loaded.faces):,} triangles is more than {max_faces:,}")
    vertices = np.asarray(loaded.vertices)
    if not np.isfinite(vertices).all():
        raise InputError(f"{path.name}: vertex coordinates are not finite")
    if not (vertices.max(axis=0) - vertices.min(axis=0))[:3].max() > 0:
        raise InputError(f"{path.name}: the mesh has no extent")
    return trimesh.Trimesh(vertices, np.asarray(loaded.faces), process=False)


def to_condition(
    view: StyledView, model_px: int, coverage: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One styled view at the model's size: condition (6, s, s) and maps (2, s, s).

    `coverage` (model size) replaces the render's own, e.g. a picture's mask as the
    converter will see it; the inflation prior follows whichever coverage is used.
    """
    alpha = np.round(view.coverage * 255.0).astype(np.uint8)
    rgba = np.concatenate([np.zeros((*alpha.shape, 3), np.uint8), alpha[..., None]], axis=2)
    condition, maps = shrink_sample_arrays(rgba[None], view.front_z[None], view.back_z[None], model_px)
    factor = view.model_rgb.shape[0] // model_px
    picture = view.model_rgb.reshape(model_px, factor, model_px, factor, 3).mean(axis=(1, 3))
    if coverage is None:
        coverage = (condition[0, COVERAGE].astype(np.float32) + 1.0) / 2.0
    return make_condition(picture, coverage).astype(np.float16), maps[0]


def _placed_view(
    vertices: np.ndarray, faces: np.ndarray, style: str, seed: list[int]
) -> tuple[StyledView, dict]:
    """One random view of a user's mesh in the style, with a random material (meshes carry no roles)."""
    rng = np.random.default_rng(seed)
    azimuth, elevation = random_view(rng)
    placement = place_in_view(vertices, azimuth, elevation)
    materials = random_materials(["body"], rng)
    view = stylize(
        placement.vertices,
        faces,
        np.zeros(len(faces), dtype=np.int64),
        materials,
        style,
        seed=int(rng.integers(2**31)),
        size_px=RENDER_PX,
        texture_rotation=placement.rotation,
    )
    return view, {"azimuth_deg": azimuth, "elevation_deg": elevation}


def _stack(conditions: list, maps: list, group: list, sources: list, summary: dict) -> TrainingPairs:
    if not conditions:
        raise InputError("no usable training pairs were made")
    return TrainingPairs(
        condition=torch.from_numpy(np.stack(conditions)),
        maps=torch.from_numpy(np.stack(maps)),
        group=np.asarray(group),
        sources=sources,
        summary=summary,
    )


def pairs_from_meshes(
    folder: str | os.PathLike,
    style: str,
    model_px: int,
    views_per_mesh: int = 8,
    seed: int = 0,
    progress: bool = True,
) -> TrainingPairs:
    """Render every mesh in a folder from random views in the style (unreadable files are skipped)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder")
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in MESH_SUFFIXES)
    if not paths:
        raise InputError(f"no {', '.join(MESH_SUFFIXES)} files in {folder}")
    if views_per_mesh < 1:
        raise OptionError(f"views per mesh must be at least 1, got {views_per_mesh}")
    conditions, maps, group, sources, skipped = [], [], [], [], {}
    for mesh_index, path in enumerate(tqdm(paths, disable=not progress, unit="mesh", desc="render")):
        try:
            mesh = load_user_mesh(path)
        except InputError as error:
            logger.warning("skipping %s", error)
            skipped[path.name] = str(error)
            continue
        vertices, faces = np.asarray(mesh.vertices), np.asarray(mesh.faces)
        for view_index in range(views_per_mesh):
            for attempt in range(4):
                view, camera = _placed_view(vertices, faces, style, [seed, mesh_index, view_index, attempt])
                if view.coverage.mean() >= MIN_COVERAGE:
                    break
            condition, target = to_condition(view, model_px)
            conditions.append(condition)
            maps.append(target)
            group.append(mesh_index)
            sources.append({"kind": "file", "path": str(path), **camera})
    summary = {
        "source": "meshes",
        "folder": folder.name,
        "meshes": len(paths) - len(skipped),
        "skipped": skipped,
        "views_per_mesh": views_per_mesh,
        "style": style,
    }
    return _stack(conditions, maps, group, sources, summary)


def pairs_from_jsonl(path: str | os.PathLike, model_px: int, progress: bool = True) -> TrainingPairs:
    """Pairs of the user's own pictures and meshes: one {picture, mesh[, camera]} per line.

    Paths are relative to the file; `camera` is {azimuth_deg, elevation_deg} of the
    picture's view of the mesh (default 0, 0: the mesh's front). Sketches are detected
    and their mask filled from the outline, as at conversion time.
    """
    from lift3d.inputs import CutoutOptions, make_cutout, read_picture
    from lift3d.inputs.detect import detect_kind, sketch_mask

    path = Path(path)
    try:
        lines = [line for line in path.read_text().splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read {path}: {error}") from None
    conditions, maps, group, sources = [], [], [], []
    for number, line in enumerate(tqdm(lines, disable=not progress, unit="pair", desc="pairs"), start=1):
        try:
            entry = json.loads(line)
            picture_path, mesh_path = path.parent / entry["picture"], path.parent / entry["mesh"]
            camera = entry.get("camera") or {}
            azimuth, elevation = (
                float(camera.get("azimuth_deg", 0.0)),
                float(camera.get("elevation_deg", 0.0)),
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise InputError(f"{path.name} line {number}: expected {{picture, mesh[, camera]}}") from None
        mesh = load_user_mesh(mesh_path)
        picture = read_picture(picture_path)
        kind = detect_kind(picture)
        mask = sketch_mask(picture) if kind == "sketch" else None
        cutout = make_cutout(picture, CutoutOptions(size_px=RENDER_PX, kind=kind), mask=mask)
        placement = place_in_view(np.asarray(mesh.vertices), azimuth, elevation)
        faces = np.asarray(mesh.faces)
        rendering = render(
            placement.vertices,
            faces,
            np.zeros(len(faces), dtype=np.int64),
            [Material(base_rgb=(0.5, 0.5, 0.5))],
            random_lighting(np.random.default_rng(0)),
            RENDER_PX,
        )
        view = StyledView(
            picture=cutout.rgb,
            model_rgb=cutout.rgb,
            coverage=rendering.rgba[..., 3].astype(np.float32) / 255.0,
            front_z=rendering.front_z,
            back_z=rendering.back_z,
            style=kind,
        )
        # the model sees the picture's own mask, as it will when converting
        factor = RENDER_PX // model_px
        coverage = (
            cutout.mask.astype(np.float32).reshape(model_px, factor, model_px, factor).mean(axis=(1, 3))
        )
        condition, target = to_condition(view, model_px, coverage)
        conditions.append(condition)
        maps.append(target)
        group.append(number)
        sources.append(
            {"kind": "file", "path": str(mesh_path), "azimuth_deg": azimuth, "elevation_deg": elevation}
        )
    summary = {"source": "pairs", "file": path.name, "pairs": len(conditions)}
    return _stack(conditions, maps, group, sources, summary)


def synthetic_view(seed: int, style: str) -> tuple[StyledView, dict]:
    """The project's procedural shape for `seed`, drawn in the style (retrying degenerate draws)."""
    from lift3d.data.synth import ATTEMPTS_PER_FAMILY, family_for_seed, placed_shape

    family = family_for_seed(seed)
    for attempt in range(2 * ATTEMPTS_PER_FAMILY):
        try_family = family if attempt < ATTEMPTS_PER_FAMILY else "primitive"
        rng = np.random.default_rng([seed, attempt])
        try:
            shape = placed_shape(try_family, rng)
        except ValueError:
            continue
        azimuth, elevation = shape.azimuth_deg, shape.elevation_deg
        view = stylize(
            shape.placement.vertices,
            np.asarray(shape.part_mesh.mesh.faces),
            shape.part_mesh.face_role,
            shape.materials,
            style,
            seed=seed,
            size_px=RENDER_PX,
            texture_rotation=shape.placement.rotation,
        )
        if view.coverage.mean() >= MIN_COVERAGE:
            source = {"kind": "synthetic", "seed": seed, "family": try_family, "attempt": attempt}
            return view, {**source, "azimuth_deg": azimuth, "elevation_deg": elevation}
    raise RuntimeError(f"seed {seed}: no valid synthetic shape")


def synthetic_pairs(
    count: int, style: str, model_px: int, seed: int = SYNTHETIC_SEED_START, progress: bool = True
) -> TrainingPairs:
    """`count` procedural shapes in the style, from seeds disjoint from base training and held-out."""
    if count < 1:
        raise OptionError(f"--synthetic must be at least 1, got {count}")
    conditions, maps, sources = [], [], []
    for index in tqdm(range(count), disable=not progress, unit="sample", desc=f"synthetic {style}"):
        view, source = synthetic_view(seed + index, style)
        condition, target = to_condition(view, model_px)
        conditions.append(condition)
        maps.append(target)
        sources.append(source)
    summary = {"source": "synthetic", "count": count, "seed_start": seed, "style": style}
    return _stack(conditions, maps, list(range(count)), sources, summary)


def truth_mesh(source: dict) -> trimesh.Trimesh:
    """The ground-truth mesh of a pair, in the view frame of its picture."""
    if source["kind"] == "synthetic":
        from lift3d.data.shapes import FAMILIES, union_parts

        rng = np.random.default_rng([source["seed"], source["attempt"]])
        mesh = union_parts(FAMILIES[source["family"]](rng)).mesh
    else:
        mesh = load_user_mesh(source["path"])
    placement = place_in_view(np.asarray(mesh.vertices), source["azimuth_deg"], source["elevation_deg"])
    return trimesh.Trimesh(placement.vertices, np.asarray(mesh.faces), process=False)


def make_pairs(
    style: str,
    model_px: int,
    meshes: str | os.PathLike | None = None,
    pairs_file: str | os.PathLike | None = None,
    synthetic: int = 0,
    views_per_mesh: int = 8,
    seed: int = 0,
    progress: bool = True,
) -> TrainingPairs:
    """Training pairs from exactly one source: a mesh folder, a pairs.jsonl, or N synthetic shapes."""
    chosen = [
        name for name, value in (("meshes", meshes), ("pairs", pairs_file), ("synthetic", synthetic)) if value
    ]
    if len(chosen) != 1:
        raise OptionError("give exactly one data source: a mesh folder, a pairs.jsonl file or --synthetic N")
    if meshes:
        return pairs_from_meshes(meshes, style, model_px, views_per_mesh, seed, progress)
    if pairs_file:
        return pairs_from_jsonl(pairs_file, model_px, progress)
    return synthetic_pairs(synthetic, style, model_px, SYNTHETIC_SEED_START + seed, progress)
