"""The rig stage: a character's asset mesh and shape maps -> a Rig (skeleton, weights, clips)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from lift3d.errors import OptionError
from lift3d.rig.animate import HUMANOID_CLIPS, make_clips, untorn
from lift3d.rig.place import place_skeleton, read_outline
from lift3d.rig.skeleton import Rig
from lift3d.rig.weights import heat_weights
from lift3d.types import ShapeMaps

# Rig without being asked when the outline reads as a humanoid or a quadruped at least this
# surely. Humanoids, on the held-out sets (seeds 20000-, 128 px masks): 91 of the first 100
# pass (33 of 40 in benchmarks/rig_auto.py), 0 of 140 non-character shapes. The quadruped
# reading is held to the same bar; its held-out counts are in benchmarks/rig_auto.py.
AUTO_RIG_MIN_CONFIDENCE = 0.8


def character_reading(mask: np.ndarray) -> tuple[str, float]:
    """The skeleton kind the outline reads as (humanoid, quadruped or chain) and how surely."""
    if not mask.any():
        return "chain", 0.0
    reading = read_outline(mask)
    return reading.kind, reading.confidence


def character_confidence(mask: np.ndarray) -> float:
    """How surely the outline reads as a character, humanoid or quadruped (0 when it reads as neither)."""
    return character_reading(mask)[1]


def reads_as_character(mask: np.ndarray) -> bool:
    """Whether a picture's outline is surely a humanoid's or a quadruped's, so `convert` may rig it unasked."""
    return character_confidence(mask) >= AUTO_RIG_MIN_CONFIDENCE


@dataclass(frozen=True)
class RigOptions:
    """What to rig: the clips to build (empty = all of a humanoid's built-in clips)."""

    animations: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [name for name in self.animations if name not in HUMANOID_CLIPS]
        if unknown:
            raise OptionError(f"unknown animation {unknown[0]!r}; choose from {', '.join(HUMANOID_CLIPS)}")


def rig_mesh(
    mesh: trimesh.Trimesh, view_mesh: trimesh.Trimesh, maps: ShapeMaps, options: RigOptions = RigOptions()
) -> Rig:
    """Rig `mesh` (the asset, in metres) from the picture's shape maps.

    Joints are placed in the view frame, from the mask and depth maps, then carried into
    the asset's frame the way the asset stage carried the reconstruction there (scaled to
    its height, its pivot at the origin, whichever pivot): `view_mesh` is that reconstruction.
    """
    placement = place_skeleton(maps.mask, maps.front_z, maps.back_z)
    view_vertices = np.asarray(view_mesh.vertices)
    asset_vertices = np.asarray(mesh.vertices)
    low, high = view_vertices.min(axis=0), view_vertices.max(axis=0)
    scale = float(np.ptp(asset_vertices[:, 1]) / max(high[1] - low[1], 1e-12))
    # asset = (view + offset) * scale, read off the boxes' low corners (any pivot, base or center)
    offset = asset_vertices.min(axis=0) / scale - low
    skeleton = placement.skeleton.transformed(offset, scale)
    faces = np.asarray(mesh.faces)
    joints, weights = heat_weights(asset_vertices, faces, skeleton)
    clips = make_clips(skeleton, options.animations)
    if skeleton.kind == "quadruped":
        # a side view often fuses legs the skeleton keeps apart (humanoid clips stay within
        # 2x on every held-out character as they are, benchmarks/rig_quality.py)
        clips = tuple(untorn(clip, skeleton, asset_vertices, faces, joints, weights) for clip in clips)
    return Rig(
        skeleton=skeleton, joints=joints, weights=weights, clips=clips, confidence=placement.confidence
    )


def rig_summary(rig: Rig) -> dict:
    """What was rigged, for provenance and the command's output."""
    return {
        "skeleton": rig.skeleton.kind,
        "joints": list(rig.skeleton.names),
        "confidence": round(rig.confidence, 3),
        "clips": [clip.name for clip in rig.clips],
        "damped_clips": {
            clip.name: round(clip.motion_share, 3) for clip in rig.clips if clip.motion_share < 1.0
        },
    }
