"""Options of the export stage: the up axis, the texture encoding and the asset's name in the file."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from types import MappingProxyType

import cv2
import numpy as np
from PIL import Image

from lift3d.errors import OptionError

UP_AXES = ("y", "z")
TEXTURE_FORMATS = ("png", "jpg", "webp")
# Each format's own ecosystem: glTF, USD and OBJ tools are Y-up; STL and PLY go to slicers,
# CAD and Blender, which are Z-up, and opened Y-up there they lie on their side.
FORMAT_UP_AXIS = MappingProxyType({".glb": "y", ".usdz": "y", ".obj": "y", ".stl": "z", ".ply": "z"})
MIME_TYPES = MappingProxyType({"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"})
MATERIALS = ("lit", "unlit")
JPEG_QUALITY = 90  # visually lossless on baked textures at about a fifth of the PNG's size


@dataclass(frozen=True)
class ExportOptions:
    """How an asset is written: which axis is up, how its texture is encoded, what it is called."""

    up_axis: str = field(default="", metadata={"help": "y or z; empty uses the format's convention"})
    texture_format: str = field(default="png", metadata={"help": "png, jpg or webp"})
    name: str = field(default="", metadata={"help": "name of nodes, meshes, materials; empty: the file's"})
    material: str = field(
        default="lit",
        metadata={
            "help": "lit = PBR lit by the viewer; unlit = the texture as is (glTF KHR_materials_unlit)"
        },
    )

    def __post_init__(self) -> None:
        if self.up_axis and self.up_axis not in UP_AXES:
            raise OptionError(f"up axis must be y or z, got {self.up_axis!r}")
        if self.texture_format not in TEXTURE_FORMATS:
            raise OptionError(
                f"texture format must be one of {', '.join(TEXTURE_FORMATS)}, got {self.texture_format!r}"
            )

        if self.material not in MATERIALS:
            raise OptionError(f"material must be lit or unlit, got {self.material!r}")

    def up_for(self, suffix: str) -> str:
        """The up axis a file of this format gets: the one asked for, else the format's own."""
        return self.up_axis or FORMAT_UP_AXIS.get(suffix.lower(), "y")

    def name_for(self, stem: str) -> str:
        """The asset's name inside the file: the one asked for, else the file's stem, as an identifier."""
        return identifier(self.name or stem)


def identifier(text: str) -> str:
    """A name every format accepts (USD prims are the strictest): letters, digits, underscores."""
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_") or "asset"
    return f"_{cleaned}" if cleaned[0].isdigit() else cleaned


def encode_texture(texture: np.ndarray, texture_format: str) -> bytes:
    """The baked RGB texture as PNG, JPEG or WebP bytes.

    PNG goes through OpenCV with zlib's run-length strategy: on a baked texture (flat
    gutters, smooth charts) it is as small as Pillow's default and ~4x faster.
    """
    rgb = np.ascontiguousarray(texture[..., :3], dtype=np.uint8)
    if texture_format == "png":
        png_options = [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]
        return cv2.imencode(".png", np.ascontiguousarray(rgb[..., ::-1]), png_options)[1].tobytes()
    image = Image.fromarray(rgb)
    stream = io.BytesIO()
    if texture_format == "jpg":
        image.save(stream, format="JPEG", quality=JPEG_QUALITY)
    else:
        image.save(stream, format="WEBP", quality=JPEG_QUALITY)
    return stream.getvalue()


def z_up(points: np.ndarray) -> np.ndarray:
    """Y-up coordinates to Z-up ones, as Blender imports glTF: (x, y, z) -> (x, -z, y).

    A rotation (not a mirror), so winding and normals stay right: the front, which faces
    +Z in glTF, faces -Y, Blender's front view.
    """
    points = np.asarray(points, dtype=np.float64)
    return np.stack([points[:, 0], -points[:, 2], points[:, 1]], axis=1)
