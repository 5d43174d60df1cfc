"""Animated assets: frames of one character converted alike and played back from one GLB.

With `rig`, frames of a humanoid character become one skinned mesh and one clip: the
character is built and rigged from its clearest frame, each frame's joints are found on
its outline and the bones are turned to meet them (`lift3d.rig.pose`). Otherwise (and
for anything that is not a character) every frame becomes its own mesh (frames need not share topology), placed in one
shared frame: one scale for all frames (the tallest frame is `height_m` tall) and the
origin at the bottom centre of all frames' boxes together, so a jump stays a jump and
feet stay on the ground. The GLB holds one node per frame and an animation that shows
one at a time: scale keyframes of 0 or 1 with STEP interpolation, which every glTF
viewer plays (unlike the newer KHR_node_visibility extension).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import trimesh

from lift3d.api import Converter, ConvertOptions, provenance_inputs
from lift3d.errors import InputError, OptionError, OutputError
from lift3d.export import ExportOptions, output_files, save_asset
from lift3d.export.gltf import finish_glb, read_glb, write_glb
from lift3d.files import refuse_to_replace, write_bytes_atomic
from lift3d.images import scaled_size
from lift3d.inputs import find_object
from lift3d.inputs.sheets import check_grid, read_frames
from lift3d.provenance import Provenance
from lift3d.reconstruct.views import mask_box
from lift3d.rig.build import rig_summary
from lift3d.types import OBJECT_FILL, Asset, Cutout, Picture

_FLOAT = 5126  # glTF componentType of float32


@dataclass(frozen=True)
class FramesOptions:
    """Converting a sequence of frames (a folder, an animated GIF or a sprite sheet)."""

    convert: ConvertOptions = field(default_factory=lambda: ConvertOptions(generator="inflate"))
    frame_rate_fps: float = 8.0
    sheet_grid: tuple[int, int] | None = None  # (columns, rows) of a sprite sheet; None detects it
    max_frames: int = 256

    def __post_init__(self) -> None:
        if not 0 < self.frame_rate_fps <= 240:
            raise OptionError(f"frame_rate_fps must be in (0, 240], got {self.frame_rate_fps}")
        if self.convert.variants != 1:
            raise OptionError("frames are converted one result each; variants must be 1")
        if self.sheet_grid is not None:
            check_grid(self.sheet_grid)
        if not 2 <= self.max_frames <= 4096:
            raise OptionError(f"max_frames must be between 2 and 4096, got {self.max_frames}")


@dataclass
class FramesResult:
    """One asset per frame, all in the shared frame (metres, origin at the bottom centre).

    A rigged result has no per-frame meshes: `character` is the one rigged asset whose
    only clip plays the frames.
    """

    frames: list[Asset]
    frame_rate_fps: float
    provenance: dict = field(default_factory=dict)
    character: Asset | None = None


def convert_frames(
    source: str | os.PathLike | Sequence[Picture], options: FramesOptions | None = None
) -> FramesResult:
    """Convert every frame with the same converter and seed, then place them in one shared frame."""
    options = options or FramesOptions()
    if isinstance(source, str | os.PathLike):
        pictures = read_frames(source, options.sheet_grid, options.max_frames)
        label = str(source)
    else:
        pictures, label = list(source), "<pictures>"
    if len(pictures) < 2:
        raise InputError(f"frames needs at least 2 frames; {label} holds {len(pictures)}")
    if options.convert.rig:  # one rigged character posed per frame instead of a flipbook
        return convert_character_frames(pictures, label, options)
    boxes = np.array([mask_box(find_object(picture)) for picture in pictures], dtype=np.float64)
    converter = Converter(options.convert.generator)
    convert_options = replace(options.convert, auto_rig=False)  # a flipbook's frames hold no skin
    height_m = convert_options.height_m
    metres_per_px = height_m / float(np.max(boxes[:, 3] - boxes[:, 1]))
    pivot = np.array([(boxes[:, 0].min() + boxes[:, 2].max()) / 2, boxes[:, 3].max()])
    frames = []
    for picture, box in zip(pictures, boxes, strict=True):
        asset = converter.convert(picture, convert_options)[0]
        frames.append(_place(asset, box, pivot, metres_per_px, height_m))
    # One pivot for the whole animation (the box of all poses), so a jump stays a jump.
    low = np.min([frame.mesh.bounds[0] for frame in frames], axis=0)
    high = np.max([frame.mesh.bounds[1] for frame in frames], axis=0)
    origin = (low + high) / 2
    if convert_options.pivot == "base":
        origin[1] = low[1]
    for frame in frames:
        frame.mesh.apply_translation(-origin)
    provenance = _provenance(
        converter, convert_options, pictures, label, options, metres_per_px=metres_per_px
    )
    return FramesResult(frames=frames, frame_rate_fps=options.frame_rate_fps, provenance=provenance)


def _cutout_to_picture(points_rc: np.ndarray, cutout: Cutout, size_px: int) -> np.ndarray:
    """(row, column) pixel centres of a cutout -> the same points in its picture (inverse of make_cutout)."""
    x0, y0, x1, y1 = cutout.crop_box
    scale = OBJECT_FILL * size_px / max(x1 - x0, y1 - y0)
    centre = np.array([(y0 + y1) / 2, (x0 + x1) / 2])
    return centre + (points_rc + 0.5 - size_px / 2) / scale - 0.5


def _shrink_mask(mask: np.ndarray, scale: float) -> np.ndarray:
    """The mask at `scale` times its size (area-averaged, then halfway), or itself at 1."""
    if scale >= 1.0:
        return mask
    import cv2

    size = scaled_size(mask.shape[0], mask.shape[1], scale)
    return cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA) >= 0.5


def convert_character_frames(pictures: Sequence[Picture], label: str, options: FramesOptions) -> FramesResult:
    """Frames of one humanoid -> one rigged character whose clip follows every frame's outline.

    The clearest frame (the surest humanoid reading) is built and rigged; its mask box
    is the asset's box, which ties picture pixels to metres, so every frame's found
    joints become targets in the asset's frame for `lift3d.rig.pose`. The frames are
    taken to share one canvas, as a GIF's or a sprite sheet's do.
    """
    from lift3d.inputs.cutout import CutoutOptions, make_cutout
    from lift3d.inputs.detect import locate_object
    from lift3d.rig.pose import (
        REFINE_HEIGHT_PX,
        SilhouetteFit,
        drop_misread,
        frame_joints,
        frame_poses,
        picture_to_asset,
        pose_clip,
        refine_pose,
    )

    convert_options = options.convert
    readings, masks = [], []
    for picture in pictures:
        found = locate_object(picture)
        masks.append(found.mask)
        cutout = make_cutout(
            picture, CutoutOptions(size_px=convert_options.cutout_px, kind=found.kind), found.mask
        )
        joints = frame_joints(cutout.mask)
        points = (
            None if joints is None else _cutout_to_picture(joints.points, cutout, convert_options.cutout_px)
        )
        readings.append((points, 0.0 if joints is None else joints.confidence))
    confidences = [confidence for _, confidence in readings]
    rest = int(np.argmax(confidences))
    if readings[rest][0] is None:
        raise InputError(
            f"--rig: no frame of {label} reads as a humanoid character (head, two arms, two legs apart); "
            "leave out --rig for a flipbook of meshes"
        )
    converter = Converter(convert_options.generator)
    character = converter.convert(pictures[rest], replace(convert_options, rig=True, animations=("idle",)))[0]
    rig = character.rig
    assert rig is not None
    if rig.skeleton.kind != "humanoid":
        raise InputError(
            f"--rig: frame {rest} of {label} reads as a humanoid in 2D but its mesh was rigged with a chain; "
            "leave out --rig for a flipbook of meshes"
        )
    vertices = np.asarray(character.mesh.vertices)
    to_asset = picture_to_asset(masks[rest], vertices)
    targets = [None if points is None else to_asset.apply(points) for points, _ in readings]
    # a misread limb (or a frame whose trunk is misread) takes its pose from its neighbours'
    targets = [drop_misread(rig.skeleton, found) for found in targets]
    world, offsets = frame_poses(rig.skeleton, targets)
    # then each pose is nudged until the mesh's silhouette matches the frame's outline
    rows = np.flatnonzero(masks[rest].any(axis=1))
    scale = min(1.0, REFINE_HEIGHT_PX / (rows[-1] - rows[0] + 1))
    fit = SilhouetteFit.of_rig(vertices, np.asarray(character.mesh.faces), rig, to_asset, scale)
    ik_iou, silhouette_iou = [], []
    for index, mask in enumerate(masks):
        small = _shrink_mask(mask, scale)
        world[index], offsets[index], before, after = refine_pose(fit, small, world[index], offsets[index])
        ik_iou.append(round(before, 3))
        silhouette_iou.append(round(after, 3))
    character.rig = replace(rig, clips=(pose_clip(rig.skeleton, world, offsets, options.frame_rate_fps),))
    read = [index for index, found in enumerate(targets) if found is not None and not np.isnan(found).any()]
    rig_record = {
        **rig_summary(character.rig),
        "rest_frame": rest,
        "frames_read": read,  # every joint found; the others' missing joints were blended
        "frame_confidence": [round(value, 3) for value in confidences],
        "ik_iou": ik_iou,  # each frame's silhouette IoU from the joints alone
        "silhouette_iou": silhouette_iou,  # and once refined against its outline
    }
    provenance = _provenance(converter, convert_options, pictures, label, options, rig=rig_record)
    character.provenance = provenance
    return FramesResult(
        frames=[], frame_rate_fps=options.frame_rate_fps, provenance=provenance, character=character
    )


def _provenance(
    converter: Converter,
    convert_options: ConvertOptions,
    pictures: Sequence[Picture],
    label: str,
    options: FramesOptions,
    **extra: object,
) -> dict:
    """The record of a frames job, flipbook or rigged: the frames and their rate, plus `extra`."""
    return Provenance(
        source=label,
        input_kind="frames",
        options=asdict(options),
        model=converter.identity,
        resolved=converter.resolved(convert_options),
        seed=convert_options.seed,
        extra={
            "frames": [picture.source for picture in pictures],
            "frame_rate_fps": options.frame_rate_fps,
            **extra,
        },
    ).as_dict()


def _place(asset: Asset, box: np.ndarray, pivot: np.ndarray, metres_per_px: float, height_m: float) -> Asset:
    """Scale a frame's asset (built `height_m` tall, centred) to its picture size and position.

    The mesh's box matches the object's box in the picture, so its centre goes where
    that box's centre lies relative to the pivot (picture rows grow downward, y up).
    """
    mesh = asset.mesh.copy(include_cache=True)  # keeps the asset's crease-aware normals
    mesh.apply_scale((box[3] - box[1]) * metres_per_px / height_m)
    low, high = mesh.bounds
    centre = np.array(
        [
            ((box[0] + box[2]) / 2 - pivot[0]) * metres_per_px,
            (pivot[1] - (box[1] + box[3]) / 2) * metres_per_px,
            0.0,
        ]
    )
    mesh.apply_translation(centre - (low + high) / 2)
    return Asset(mesh=mesh, texture=asset.texture, provenance=asset.provenance)


def animated_glb_bytes(frames: Sequence[Asset], frame_rate_fps: float, name: str = "frames") -> bytes:
    """One GLB with a node per frame (`NAME_frame_000` ...) and a looping animation that shows them in turn."""
    scene = trimesh.Scene()
    names = [f"{name}_frame_{index:03d}" for index in range(len(frames))]
    for frame_name, asset in zip(names, frames, strict=True):
        scene.add_geometry(asset.mesh, node_name=frame_name, geom_name=frame_name)
    document, binary = read_glb(scene.export(file_type="glb", include_normals=True))
    node_index = {node.get("name"): index for index, node in enumerate(document["nodes"])}
    count = len(frames)
    # Key k starts frame k; a last key repeats the final state so it lasts a full frame too.
    times = (np.arange(count + 1) / frame_rate_fps).astype(np.float32)
    shown = np.minimum(np.arange(count + 1), count - 1)
    binary, time_accessor = _append_accessor(
        document, binary, times, "SCALAR", {"min": [0.0], "max": [float(times[-1])]}
    )
    samplers, channels = [], []
    for frame, frame_name in enumerate(names):
        node = document["nodes"][node_index[frame_name]]
        matrix = node.pop("matrix", None)
        if matrix is not None and not np.allclose(matrix, np.eye(4).ravel()):
            raise ValueError("frame nodes must not carry a transform; place the meshes instead")
        node["scale"] = [1.0, 1.0, 1.0] if frame == 0 else [0.0, 0.0, 0.0]
        scales = np.repeat((shown == frame).astype(np.float32)[:, None], 3, axis=1)
        binary, scale_accessor = _append_accessor(document, binary, scales, "VEC3", {})
        samplers.append({"input": time_accessor, "output": scale_accessor, "interpolation": "STEP"})
        channels.append({"sampler": frame, "target": {"node": node_index[frame_name], "path": "scale"}})
    document.setdefault("animations", []).append(
        {"name": "frames", "samplers": samplers, "channels": channels}
    )
    document["buffers"][0]["byteLength"] = len(binary)
    return write_glb(document, binary)


def _append_accessor(
    document: dict, binary: bytes, values: np.ndarray, kind: str, extra: dict
) -> tuple[bytes, int]:
    """Add float32 `values` to the binary chunk with a buffer view and an accessor for them."""
    binary += b"\x00" * (-len(binary) % 4)
    data = np.ascontiguousarray(values, dtype="<f4").tobytes()
    document.setdefault("bufferViews", []).append(
        {"buffer": 0, "byteOffset": len(binary), "byteLength": len(data)}
    )
    accessor = {
        "bufferView": len(document["bufferViews"]) - 1,
        "componentType": _FLOAT,
        "count": int(values.shape[0]),
        "type": kind,
        **extra,
    }
    document.setdefault("accessors", []).append(accessor)
    return binary + data, len(document["accessors"]) - 1


def frame_paths(path: str | os.PathLike, count: int, suffix: str = ".glb") -> list[Path]:
    """walk.glb -> walk_frame_000.glb ... beside it."""
    target = Path(path)
    return [target.with_name(f"{target.stem}_frame_{index:03d}{suffix}") for index in range(count)]


def save_frames(
    result: FramesResult,
    path: str | os.PathLike,
    frame_suffix: str = ".glb",
    export: ExportOptions | None = None,
) -> list[Path]:
    """Write the animated GLB, one file per frame (format by `frame_suffix`) and the provenance JSON.

    The animation's frame nodes sit under one node named after the file (or `export.name`).
    """
    export = export or ExportOptions()
    target = Path(path)
    if not target.suffix:
        target = target.with_suffix(".glb")
    if target.suffix.lower() != ".glb":
        raise OutputError(f"cannot write {target.name}: an animated sequence is written as .glb")
    if result.character is not None:
        return _save_character(result, target, export)
    planned = [target, target.with_suffix(".lift3d.json")]
    planned += [
        file
        for frame in frame_paths(target, len(result.frames), frame_suffix)
        for file in output_files(frame)
    ]
    refuse_to_replace(planned, provenance_inputs(result.provenance))
    name = export.name_for(target.stem)
    animated = animated_glb_bytes(result.frames, result.frame_rate_fps, name)
    write_bytes_atomic(target, finish_glb(animated, name, export.texture_format, export.up_for(".glb")))
    written = [target]
    for asset, frame_path in zip(
        result.frames, frame_paths(target, len(result.frames), frame_suffix), strict=True
    ):
        written += save_asset(asset, frame_path, replace(export, name=""))
    record = target.with_suffix(".lift3d.json")
    write_bytes_atomic(record, json.dumps(result.provenance, indent=2, default=str).encode())
    return [*written, record]


def _save_character(result: FramesResult, target: Path, export: ExportOptions) -> list[Path]:
    """The rigged character's skinned GLB (its one clip plays the frames) and the provenance JSON."""
    from lift3d.export.gltf_skin import export_rigged_glb

    character = result.character
    assert character is not None and character.rig is not None
    record = target.with_suffix(".lift3d.json")
    refuse_to_replace([target, record], provenance_inputs(result.provenance))
    written = export_rigged_glb(character, character.rig, target, export)
    write_bytes_atomic(record, json.dumps(result.provenance, indent=2, default=str).encode())
    return [*written, record]


def run(sources: Sequence[str | os.PathLike], options: ConvertOptions, frames: FramesOptions) -> FramesResult:
    """The table's entry: one folder, GIF or sprite sheet, converted with the shared options."""
    if len(sources) != 1:
        raise OptionError("--kind frames takes one folder, GIF or sprite sheet")
    return convert_frames(sources[0], replace(frames, convert=options.resolved()))


def outputs(path: str | os.PathLike, export: ExportOptions) -> list[Path]:
    """Every file `save_frames` may write (as many frame files as there may be frames)."""
    frames = frame_paths(path, FramesOptions.max_frames)
    return [Path(path), Path(path).with_suffix(".lift3d.json")] + [
        file for frame in frames for file in output_files(frame, export)
    ]
