"""The plain data passed between pipeline stages.

Coordinates (the "view frame") are shared by every stage: the square cutout spans
x, y in [-1, 1] (x to the right, y up), z points toward the viewer who took the
picture, in the same units. Pixel (row i, column j) of an S x S map has its centre
at x = (2j + 1)/S - 1, y = 1 - (2i + 1)/S. The camera is orthographic, looking down -z.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import trimesh

if TYPE_CHECKING:
    from lift3d.rig.skeleton import Rig

# The longer side of an object's image-plane bounding box spans this fraction of the
# view square [-1, 1]; the cutout stage and the synthetic renderer both obey it, so
# the model sees real pictures at the scale it was trained on.
OBJECT_FILL = 0.8


@dataclass(frozen=True)
class Picture:
    """A decoded, validated input image."""

    rgb: np.ndarray  # (H, W, 3) float32 in [0, 1]
    alpha: np.ndarray | None  # (H, W) float32 in [0, 1], None when the file had none
    source: str  # file name or a caller-given label, used in messages


@dataclass(frozen=True)
class Cutout:
    """The object found in a picture: cropped, centred and padded into a square.

    The object's bounding box is centred and its longer side spans `fill` of the
    square, so a model always sees objects at the same scale.
    """

    rgb: np.ndarray  # (S, S, 3) float32 in [0, 1]; background is white
    mask: np.ndarray  # (S, S) bool, True on the object
    crop_box: tuple[int, int, int, int]  # (x0, y0, x1, y1) of the object in the picture
    source: str
    kind: str = "photo"  # input kind detected or given: photo, render, sketch


@dataclass(frozen=True)
class ShapeMaps:
    """Per-pixel hidden shape of the object in the view frame.

    `front_z` is the height of the visible surface toward the viewer and `back_z`
    the hidden back surface, so `front_z >= back_z` on the mask. Values outside the
    mask are meaningless (kept finite). Maps may be at a lower resolution than the
    mask; reconstruction resamples them.
    """

    mask: np.ndarray  # (S, S) bool
    front_z: np.ndarray  # (H, W) float32
    back_z: np.ndarray  # (H, W) float32
    back_rgb: np.ndarray | None = None  # (H, W, 3) float32 colour of the hidden side


@dataclass(frozen=True)
class QuadMesh:
    """Polygons of 3 or 4 corners in the asset's frame, with per-corner UVs into the asset's texture."""

    vertices: np.ndarray  # (V, 3) float64
    faces: np.ndarray  # (F, 4) int64; a triangle has -1 as its fourth corner
    uv: np.ndarray  # (F, 4, 2) float64 per corner; the unused corner of a triangle is 0
    report: dict = field(default_factory=dict)  # quad share, seam share, distance to the triangles

    @property
    def counts(self) -> np.ndarray:
        """Corners per face, as USD's faceVertexCounts."""
        return np.where(self.faces[:, 3] < 0, 3, 4)

    def triangles(self) -> tuple[np.ndarray, np.ndarray]:
        """(T, 3) vertex indices and the (T, 3, 2) corner UVs, each quad split along 0-2."""
        quads = self.faces[:, 3] >= 0
        first = self.faces[:, :3]
        second = self.faces[quads][:, [0, 2, 3]]
        uv = np.concatenate([self.uv[:, :3], self.uv[quads][:, [0, 2, 3]]])
        return np.concatenate([first, second]), uv

    def triangle_mesh(self) -> trimesh.Trimesh:
        faces, _ = self.triangles()
        return trimesh.Trimesh(self.vertices, faces, process=False)


@dataclass
class Asset:
    """A finished mesh with its texture and material, in output units (metres).

    Axes follow glTF: +Y up, +Z toward the viewer of the picture, centred at the
    origin.
    """

    mesh: trimesh.Trimesh  # carries TextureVisuals with uv and a PBR material
    texture: np.ndarray  # (T, T, 3) uint8 base colour
    provenance: dict = field(default_factory=dict)  # options, model identity, seed
    rig: Rig | None = None  # skeleton, skin weights and clips when the asset was rigged
    quads: QuadMesh | None = None  # quad-dominant retopology, written by OBJ and USD (--quads)


@dataclass(frozen=True)
class Sample:
    """One synthetic training/evaluation example with its ground truth."""

    rgba: np.ndarray  # (S, S, 4) uint8 rendered input picture, alpha = object mask
    front_z: np.ndarray  # (S, S) float32 ground-truth front surface, 0 off the mask
    back_z: np.ndarray  # (S, S) float32 ground-truth back surface, 0 off the mask
    vertices: np.ndarray  # (V, 3) float32 ground-truth mesh in the view frame
    faces: np.ndarray  # (F, 3) int32
    family: str  # shape family name
    seed: int

    @property
    def mask(self) -> np.ndarray:
        return self.rgba[..., 3] > 127

    def mesh(self) -> trimesh.Trimesh:
        return trimesh.Trimesh(self.vertices, self.faces, process=False)
