"""The real-shape evaluation set: third-party meshes shipped inside permissively licensed packages.

The project's own held-out set comes from the same procedural families the model trains
on, so it cannot tell whether the model learned shapes or only those families. These
meshes were made by other people for robot simulators (household objects, tools, robot
parts, a dog and its bones, a fruit fly) and are only ever evaluated on, never trained on.
Nothing is downloaded: each file is read from an installed package (`pip install
'lift3d[real]'`), found through importlib without importing the package, and pinned to
the version whose files the catalogue lists. Licences: `REAL_SET.md` beside this file.

Each mesh is made into one closed solid (holes capped, parts unioned by manifold3d), turned Y-up, then rendered by the project's own renderer at a
few fixed views seeded by the object's name, so adding an object never moves another.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import logging
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import trimesh

from lift3d.data.materials import random_material
from lift3d.data.render import place_in_view, random_lighting, random_view, render
from lift3d.errors import Lift3DError, OptionError
from lift3d.evaluate.options import EvalOptions
from lift3d.evaluate.report import EvalReport, EvalRow, format_table
from lift3d.evaluate.runner import evaluate
from lift3d.files import atomic_path
from lift3d.types import Sample

logger = logging.getLogger(__name__)

MAX_VIEWS = 3  # fixed views per object; `views` picks the first few
RENDER_PX = 128  # the size the synthetic held-out set is rendered at
MIN_MASK_FRACTION = 0.01  # as in data.synth: a sliver of a view is redrawn from the next seed


class MissingPackageError(Lift3DError):
    """A package that holds part of the real-shape set is not installed, or is another version."""

    exit_code = 2


@dataclass(frozen=True)
class RealPackage:
    """A registry package that ships meshes, pinned so the set never changes under a score."""

    distribution: str  # the name pip installs
    module: str  # the top-level import name whose folder holds the files
    version: str
    licence: str


@dataclass(frozen=True)
class RealObject:
    """One mesh file inside a package, and the family of object it belongs to."""

    name: str
    family: str
    package: str  # key of PACKAGES
    path: str  # inside the package's module folder
    up_axis: str = "z"  # MuJoCo assets stand on z; the renderer's up is y


PACKAGES: dict[str, RealPackage] = {
    "metaworld": RealPackage("metaworld", "metaworld", "3.1.1", "MIT"),
    "gymnasium-robotics": RealPackage("gymnasium-robotics", "gymnasium_robotics", "1.4.2", "MIT"),
    "dm-control": RealPackage("dm-control", "dm_control", "1.0.28", "Apache-2.0"),
}

_METAWORLD = "assets/objects/meshes/"
_KITCHEN = "envs/assets/kitchen_franka/kitchen_assets/meshes/"
_FRANKA = "envs/assets/kitchen_franka/franka_assets/meshes/visual/"
_DOG = "suite/dog_assets/"
_FLY = "locomotion/walkers/assets/fruitfly_v2/"
_KINOVA = "third_party/kinova/meshes_decimated/"

CATALOGUE: tuple[RealObject, ...] = (
    # household: kitchenware and appliances
    RealObject("mug", "household", "metaworld", _METAWORLD + "coffeemachine/mug.stl"),
    RealObject("cup", "household", "metaworld", _METAWORLD + "coffeemachine/cup.stl"),
    RealObject("thermos", "household", "metaworld", _METAWORLD + "thermos/therm_body.stl"),
    RealObject("thermos-cap", "household", "metaworld", _METAWORLD + "thermos/therm_cap.stl"),
    RealObject("faucet-base", "household", "metaworld", _METAWORLD + "faucet/faucetbase.stl"),
    RealObject("faucet-head", "household", "metaworld", _METAWORLD + "faucet/faucethead.stl"),
    RealObject("coffee-spout", "household", "metaworld", _METAWORLD + "coffeemachine/spout.stl"),
    RealObject("laptop-base", "household", "metaworld", _METAWORLD + "laptop/laptop_base.stl"),
    RealObject("puck", "household", "metaworld", _METAWORLD + "puck/puck.stl"),
    RealObject("dial", "household", "metaworld", _METAWORLD + "dial/dial.stl"),
    RealObject("stop-button", "household", "metaworld", _METAWORLD + "buttonbox/stopbutton.stl"),
    RealObject("kettle", "household", "gymnasium-robotics", _KITCHEN + "kettle.stl"),
    RealObject("stove-knob", "household", "gymnasium-robotics", _KITCHEN + "knob.stl"),
    RealObject("microwave", "household", "gymnasium-robotics", _KITCHEN + "micro.stl"),
    RealObject("wall-cabinet", "household", "gymnasium-robotics", _KITCHEN + "hingecabinet.stl"),
    RealObject("kitchen-faucet", "household", "gymnasium-robotics", _KITCHEN + "faucet.stl"),
    # tools and handles
    RealObject("hammer-head", "tools", "metaworld", _METAWORLD + "hammer/hammerhead.stl"),
    RealObject("nail", "tools", "metaworld", _METAWORLD + "hammer/nail.stl"),
    RealObject("golf-club-head", "tools", "metaworld", _METAWORLD + "golf_club/club_head.stl"),
    RealObject("door-handle", "tools", "metaworld", _METAWORLD + "doorlock/door_handle.stl"),
    RealObject("lever-handle", "tools", "metaworld", _METAWORLD + "doorlock/handle.stl"),
    RealObject("drawer-handle", "tools", "metaworld", _METAWORLD + "drawer/drawerhandle.stl"),
    RealObject("lever", "tools", "metaworld", _METAWORLD + "lever/lever_handle.stl"),
    RealObject("press-grip", "tools", "metaworld", _METAWORLD + "handle_press/handle_press_grip.stl"),
    RealObject("box-handle", "tools", "metaworld", _METAWORLD + "box/boxhandle.stl"),
    RealObject("thermos-handle", "tools", "metaworld", _METAWORLD + "thermos/therm_handle.stl"),
    RealObject("plug", "tools", "metaworld", _METAWORLD + "plug/plug_head.stl"),
    RealObject("peg-ring", "tools", "metaworld", _METAWORLD + "assembly_peg/assembly_peg_ring.stl"),
    RealObject("kettle-handle", "tools", "gymnasium-robotics", _KITCHEN + "kettlehandle.stl"),
    # robot and machine parts
    RealObject("kinova-shoulder", "robot-parts", "dm-control", _KINOVA + "shoulder.stl"),
    RealObject("kinova-arm", "robot-parts", "dm-control", _KINOVA + "arm.stl"),
    RealObject("kinova-forearm", "robot-parts", "dm-control", _KINOVA + "forearm.stl"),
    RealObject("kinova-wrist", "robot-parts", "dm-control", _KINOVA + "wrist.stl"),
    RealObject("kinova-hand", "robot-parts", "dm-control", _KINOVA + "hand_3finger.stl"),
    RealObject("kinova-finger", "robot-parts", "dm-control", _KINOVA + "finger_proximal.stl"),
    RealObject("kinova-base", "robot-parts", "dm-control", _KINOVA + "base.stl"),
    RealObject("franka-link1", "robot-parts", "gymnasium-robotics", _FRANKA + "link1.stl"),
    RealObject("franka-link2", "robot-parts", "gymnasium-robotics", _FRANKA + "link2.stl"),
    RealObject("franka-finger", "robot-parts", "gymnasium-robotics", _FRANKA + "finger.stl"),
    RealObject("sawyer-link3", "robot-parts", "metaworld", _METAWORLD + "xyz_base/l3.stl"),
    RealObject("sawyer-link6", "robot-parts", "metaworld", _METAWORLD + "xyz_base/l6.stl"),
    # animals and anatomy
    RealObject("dog", "animals", "dm-control", _DOG + "SKINbody.stl"),
    RealObject("dog-skull", "animals", "dm-control", _DOG + "BONEMergedSkull.stl"),
    RealObject("dog-jaw", "animals", "dm-control", _DOG + "BONEJaw.stl"),
    RealObject("dog-pelvis", "animals", "dm-control", _DOG + "BONEPelvis.stl"),
    RealObject("dog-scapula", "animals", "dm-control", _DOG + "BONEScapula_L.stl"),
    RealObject("dog-femur", "animals", "dm-control", _DOG + "BONEFemoris_L.stl"),
    RealObject("dog-humerus", "animals", "dm-control", _DOG + "BONEhumerus_L.stl"),
    RealObject("dog-sacrum", "animals", "dm-control", _DOG + "BONESacrum.stl"),
    RealObject("dog-vertebra", "animals", "dm-control", _DOG + "BONEL_1.stl"),
    RealObject("fly-thorax", "animals", "dm-control", _FLY + "thorax_body.msh"),
    RealObject("fly-head", "animals", "dm-control", _FLY + "head_body.msh"),
    RealObject("fly-leg", "animals", "dm-control", _FLY + "femur_T3_left_body.msh"),
)

FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(item.family for item in CATALOGUE))


def install_hint() -> str:
    pins = " ".join(f"{package.distribution}=={package.version}" for package in PACKAGES.values())
    return f"pip install 'lift3d[real]' (or: pip install --no-deps {pins})"


def package_folder(package: RealPackage) -> Path:
    """The package's folder, found without importing it (importing would pull in simulators)."""
    try:
        spec = importlib.util.find_spec(package.module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise MissingPackageError(
            f"the real-shape set reads meshes from {package.distribution}, which is not installed: "
            + install_hint()
        )
    try:
        version = importlib.metadata.version(package.distribution)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    if version != package.version:
        raise MissingPackageError(
            f"the real-shape set is pinned to {package.distribution}=={package.version}, found {version}: "
            + install_hint()
        )
    return Path(next(iter(spec.submodule_search_locations)))


def require_packages(objects: tuple[RealObject, ...] = CATALOGUE) -> dict[str, Path]:
    """Each needed package's folder; refuses, naming the install command, when one is missing."""
    return {key: package_folder(PACKAGES[key]) for key in dict.fromkeys(item.package for item in objects)}


def object_path(item: RealObject, folders: dict[str, Path] | None = None) -> Path:
    folder = (folders or require_packages((item,)))[item.package]
    path = folder / item.path
    if not path.is_file():
        raise MissingPackageError(
            f"{item.name}: {item.path} is missing from {item.package}: " + install_hint()
        )
    return path


def read_mujoco_msh(path: Path) -> trimesh.Trimesh:
    """MuJoCo's binary .msh: four int32 counts, then vertices, normals, uvs (float32), faces (int32)."""
    data = path.read_bytes()
    vertex_count, normal_count, uv_count, face_count = (int(n) for n in np.frombuffer(data[:16], np.int32))
    offset = 16
    vertices = np.frombuffer(data, np.float32, 3 * vertex_count, offset).reshape(-1, 3)
    offset += 4 * (3 * vertex_count + 3 * normal_count + 2 * uv_count)
    faces = np.frombuffer(data, np.int32, 3 * face_count, offset).reshape(-1, 3)
    return trimesh.Trimesh(vertices.astype(np.float64), faces.astype(np.int64), process=True)


def read_mesh(path: Path) -> trimesh.Trimesh:
    if path.suffix == ".msh":
        return read_mujoco_msh(path)
    loaded = trimesh.load(path, force="mesh", process=True)
    if not isinstance(loaded, trimesh.Trimesh) or len(loaded.faces) == 0:
        raise ValueError("the file holds no triangles")
    return loaded


class UnclosableMeshError(ValueError):
    """The mesh cannot be made one closed solid; the object is skipped with this reason."""


def close_mesh(mesh: trimesh.Trimesh) -> tuple[trimesh.Trimesh, str]:
    """One closed, outward-facing solid, and how it was made: 'as shipped', 'capped' or 'union'.

    Simulator meshes are often open tubes (a cup without a lid, a handle without end
    faces): each boundary loop is capped by a fan around its centre. Closed parts are
    then unioned by manifold3d, which also drops parts hidden inside others (teeth in
    a skull) that no picture shows.
    """
    from manifold3d import Manifold, OpType

    from lift3d.data.shapes import manifold_from_arrays

    mesh = mesh.copy()
    mesh.merge_vertices()
    bodies = mesh.split(only_watertight=False)
    capped = False
    solids = []
    for body in bodies:
        if not body.is_watertight:
            body = cap_holes(body)
            capped = True
        with np.errstate(divide="ignore", invalid="ignore"):  # trimesh's centroid of a flat sliver
            body.fix_normals()
        try:
            solids.append(manifold_from_arrays(np.asarray(body.vertices), np.asarray(body.faces)))
        except ValueError as error:
            raise UnclosableMeshError(
                f"a part is not a closed 2-manifold even after capping ({error})"
            ) from None
    solid = Manifold.batch_boolean(solids, OpType.Add) if len(solids) > 1 else solids[0]
    result = solid.to_mesh()
    # manifold3d's output is closed as it stands; merging "close" vertices could pinch it
    closed = trimesh.Trimesh(
        np.asarray(result.vert_properties[:, :3], dtype=np.float64),
        np.asarray(result.tri_verts, dtype=np.int64),
        process=False,
    )
    if not closed.is_watertight or not closed.volume > 0:
        raise UnclosableMeshError("the parts' union is not a closed solid")
    how = "capped" if capped else "union" if len(solids) > 1 else "as shipped"
    return closed, how


def cap_holes(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """Close each boundary loop with a fan of triangles around the loop's centre.

    Raises UnclosableMeshError when the boundary is not a set of simple loops (a vertex
    where two holes touch, an edge shared by three faces).
    """
    edges = np.asarray(mesh.edges)  # directed, three per face, in winding order
    _, inverse, counts = np.unique(np.sort(edges, axis=1), axis=0, return_inverse=True, return_counts=True)
    boundary = edges[counts[inverse.ravel()] == 1]
    following: dict[int, int] = {}
    for start, end in boundary.tolist():
        if start in following:
            raise UnclosableMeshError("open surface whose holes touch: cannot cap them")
        following[start] = end
    vertices = [np.asarray(mesh.vertices)]
    faces = [np.asarray(mesh.faces)]
    centre_index = len(mesh.vertices)
    visited: set[int] = set()
    for start in following:
        if start in visited:
            continue
        loop = [start]
        visited.add(start)
        current = following[start]
        while current != start:
            if current in visited or current not in following:
                raise UnclosableMeshError("open surface with a broken hole boundary: cannot cap it")
            loop.append(current)
            visited.add(current)
            current = following[current]
        vertices.append(np.asarray(mesh.vertices)[loop].mean(axis=0, keepdims=True))
        ring = np.array(loop)
        # a boundary edge a->b belongs to a face wound a->b; the cap runs the other way
        faces.append(np.column_stack([np.roll(ring, -1), ring, np.full(len(ring), centre_index)]))
        centre_index += 1
    return trimesh.Trimesh(np.concatenate(vertices), np.concatenate(faces), process=False)


def load_real_mesh(item: RealObject, folders: dict[str, Path] | None = None) -> trimesh.Trimesh:
    """The object as one closed solid, Y-up, centred, longest side 1; raises UnclosableMeshError."""
    path = object_path(item, folders)
    mesh, how = close_mesh(read_mesh(path))
    logger.debug("%s: %d faces, %s", item.name, len(mesh.faces), how)
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    if item.up_axis == "z":
        vertices = vertices[:, [0, 2, 1]] * np.array([1.0, 1.0, -1.0])  # a proper rotation: z-up -> y-up
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    vertices = (vertices - (low + high) / 2) / float((high - low).max())
    return trimesh.Trimesh(vertices, np.asarray(mesh.faces), process=False)


def object_seed(item: RealObject) -> int:
    """A stable seed per object name, so the catalogue can grow without moving other views."""
    return zlib.crc32(item.name.encode("utf-8"))


@dataclass(frozen=True)
class RealView:
    """One object at one fixed view, ready to render in any picture style."""

    item: RealObject
    view: int
    sample: Sample  # the shaded RGBA render and the ground truth, both in the view frame
    rotation: np.ndarray  # object axes -> view axes, for textures that stick to the object
    materials: tuple  # the one Material the object is painted with


def render_view(item: RealObject, mesh: trimesh.Trimesh, view: int) -> RealView:
    """The object at its `view`-th fixed view: same name and view, same picture on any machine."""
    faces = np.asarray(mesh.faces)
    seed = object_seed(item)
    for attempt in range(8):
        rng = np.random.default_rng([seed, view, attempt])
        azimuth, elevation = random_view(rng)
        placement = place_in_view(np.asarray(mesh.vertices), azimuth, elevation)
        materials = (random_material(rng),)
        rendering = render(
            placement.vertices,
            faces,
            np.zeros(len(faces), dtype=np.int64),
            materials,
            random_lighting(rng),
            size_px=RENDER_PX,
            texture_rotation=placement.rotation,
        )
        if rendering.mask.mean() >= MIN_MASK_FRACTION:
            sample = Sample(
                rgba=rendering.rgba,
                front_z=rendering.front_z,
                back_z=rendering.back_z,
                vertices=placement.vertices.astype(np.float32),
                faces=faces.astype(np.int32),
                family=item.family,
                seed=seed * MAX_VIEWS + view,
            )
            return RealView(item, view, sample, placement.rotation, materials)
    raise UnclosableMeshError(f"no view of {item.name} covers {MIN_MASK_FRACTION:.0%} of the picture")


def line_drawing(real_view: RealView, style: str = "sketch") -> Sample:
    """The same view drawn in an adapter style (sketch = pencil lines on paper, no alpha)."""
    from lift3d.data.styles import picture_to_uint8, stylize

    sample = real_view.sample
    faces = np.asarray(sample.faces)
    styled = stylize(
        np.asarray(sample.vertices, dtype=np.float64),
        faces,
        np.zeros(len(faces), dtype=np.int64),
        real_view.materials,
        style,
        seed=sample.seed,
        size_px=RENDER_PX,
        texture_rotation=real_view.rotation,
    )
    alpha = np.round(styled.coverage * 255.0).astype(np.uint8)
    return Sample(
        rgba=np.dstack([picture_to_uint8(styled.picture), alpha]),
        front_z=styled.front_z,
        back_z=styled.back_z,
        vertices=sample.vertices,
        faces=sample.faces,
        family=sample.family,
        seed=sample.seed,
    )


@dataclass(frozen=True)
class SkippedObject:
    name: str
    reason: str


def round_robin(objects: tuple[RealObject, ...]) -> tuple[RealObject, ...]:
    """Objects ordered family by family in turn, so the first N are a balanced subset (`--n`)."""
    by_family: dict[str, list[RealObject]] = {}
    for item in objects:
        by_family.setdefault(item.family, []).append(item)
    queues = list(by_family.values())
    ordered = []
    for index in range(max(len(queue) for queue in queues)):
        ordered += [queue[index] for queue in queues if index < len(queue)]
    return tuple(ordered)


def view_plan(views: int = 1, names: tuple[str, ...] = ()) -> tuple[tuple[RealObject, int], ...]:
    """(object, view) in evaluation order: every object's first view, then every object's
    second, with families taking turns, so any prefix (`--n`) is a balanced subset."""
    if not 1 <= views <= MAX_VIEWS:
        raise OptionError(f"--views must be between 1 and {MAX_VIEWS}, got {views}")
    objects = CATALOGUE
    if names:
        unknown = sorted(set(names) - {item.name for item in CATALOGUE})
        if unknown:
            raise OptionError(f"unknown real objects: {', '.join(unknown)}")
        objects = tuple(item for item in CATALOGUE if item.name in names)
    return tuple((item, view) for view in range(views) for item in round_robin(objects))


def real_views(
    plan: tuple[tuple[RealObject, int], ...], skipped: list[SkippedObject] | None = None
) -> Iterator[tuple[int, RealView]]:
    """(position in the plan, rendered view) for each entry of the plan that can be rendered.

    Objects that cannot be closed or rendered are skipped, logged and appended to
    `skipped`; a missing package is refused before anything is rendered.
    """
    folders = require_packages(tuple(dict.fromkeys(item for item, _ in plan)))
    meshes: dict[str, trimesh.Trimesh] = {}
    failed: set[str] = set()
    for position, (item, view) in enumerate(plan):
        if item.name in failed:
            continue
        try:
            if item.name not in meshes:
                meshes[item.name] = load_real_mesh(item, folders)
            rendered = render_view(item, meshes[item.name], view)
        except ValueError as error:  # UnclosableMeshError, or a file trimesh cannot read
            logger.warning("real object %s skipped: %s", item.name, error)
            failed.add(item.name)
            if skipped is not None:
                skipped.append(SkippedObject(item.name, str(error)))
            continue
        yield position, rendered


def picture_kind(backdrop: bool, style: str) -> str:
    if backdrop and style:
        raise OptionError("choose --backdrop or --style, not both")
    return "backdrop" if backdrop else style or "rgba"


def picture_sample(rendered: RealView, kind: str) -> Sample:
    """The sample of one picture kind: 'rgba', 'backdrop' (both the shaded render) or a style."""
    return rendered.sample if kind in ("rgba", "backdrop") else line_drawing(rendered, kind)


@dataclass(frozen=True)
class RealShard:
    """One worker's share of a run: plan positions index, index + shards, ..."""

    kind: str
    views: int
    count: int | None
    methods: tuple[str, ...]
    model_dir: str | None
    index: int = 0
    shards: int = 1


def evaluate_shard(shard: RealShard, progress: bool = False) -> tuple[list[EvalRow], list[SkippedObject]]:
    """Render and score one shard; rows carry their position in the whole plan as sample_index."""
    from lift3d.data.styles import PAPER_STYLES
    from lift3d.evaluate.heldout import converter_method, paper_picture, photo_picture, rendered_picture

    kind = shard.kind
    make_picture = (
        photo_picture if kind == "backdrop" else paper_picture if kind in PAPER_STYLES else rendered_picture
    )
    # models load before anything is rendered, so a wrong --model folder is refused at once
    methods_run = {name: converter_method(name, make_picture, shard.model_dir) for name in shard.methods}
    plan = view_plan(shard.views)[: shard.count]
    mine = plan[shard.index :: shard.shards]
    skipped: list[SkippedObject] = []
    positions, samples = [], []
    for local, rendered in real_views(mine, skipped):
        positions.append(shard.index + local * shard.shards)
        samples.append(picture_sample(rendered, kind))
    report = evaluate(samples, methods_run, EvalOptions(), progress)
    rows = [replace(row, sample_index=positions[row.sample_index]) for row in report.rows]
    return rows, skipped


def _evaluate_shard_in_worker(shard: RealShard) -> tuple[list[EvalRow], list[SkippedObject]]:
    import torch

    torch.set_num_threads(1)
    return evaluate_shard(shard)


def run_real_eval(
    count: int | None = None,
    methods: str = "",
    backdrop: bool = False,
    style: str = "",
    views: int = 1,
    json_path: str | None = None,
    progress: bool = True,
    model_dir: str | None = None,
    workers: int = 1,
) -> tuple[str, EvalReport]:
    """Score the chosen generators on the real-shape set, exactly as the synthetic held-out eval does.

    With `workers` > 1 the plan is dealt out to that many processes (the scores do not
    change: every sample is rendered and scored the same way wherever it runs). Returns
    the table (overall, per family, skipped objects) and the report; the JSON also
    records the packages and versions the meshes came from and the picture kind.
    """
    from lift3d.data.styles import STYLES
    from lift3d.evaluate.heldout import available_methods, parse_method

    if count is not None and count < 1:
        raise OptionError(f"--n must be at least 1, got {count}")
    if workers < 1:
        raise OptionError(f"--workers must be at least 1, got {workers}")
    if style and style not in STYLES:
        raise OptionError(f"unknown style {style!r}; choose from {', '.join(STYLES)}")
    kind = picture_kind(backdrop, style)
    names = [name.strip() for name in methods.split(",") if name.strip()] or available_methods(
        style, model_dir
    )
    for name in names:
        parse_method(name)
    view_plan(views)  # refuse a bad --views here, not inside a worker
    base = RealShard(kind, views, count, tuple(names), model_dir)
    if workers == 1:
        rows, skipped = evaluate_shard(base, progress)
    else:
        import multiprocessing

        require_packages()  # refuse a missing package in one line before spawning anyone
        shards = [replace(base, index=index, shards=workers) for index in range(workers)]
        # spawn, not fork: embree and torch threads in a forked child can deadlock
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            results = pool.map(_evaluate_shard_in_worker, shards)
        rows = [row for shard_rows, _ in results for row in shard_rows]
        skipped = [item for _, shard_skipped in results for item in shard_skipped]
        rows.sort(key=lambda row: (row.sample_index, names.index(row.method)))
    report = EvalReport.from_rows(rows, EvalOptions())
    objects = len({row.seed // MAX_VIEWS for row in rows})
    samples = len({row.sample_index for row in rows})
    header = (
        f"real-shape set: {samples} views of {objects} objects, "
        f"{kind} pictures, model {model_dir or 'shipped'}\n"
    )
    text = header + format_table(report)
    if skipped:
        text += "skipped: " + "; ".join(f"{item.name} ({item.reason})" for item in skipped) + "\n"
    if json_path:
        document = report.to_dict()
        document["real_set"] = {
            "pictures": kind,
            "views_per_object": views,
            "model": model_dir or "shipped",
            "objects": objects,
            "packages": {key: asdict(package) for key, package in PACKAGES.items()},
            "skipped": [asdict(item) for item in skipped],
        }
        with atomic_path(json_path) as tmp:
            tmp.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return text, report
