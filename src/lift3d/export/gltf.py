"""Binary glTF (.glb): one asset, or a scene (frames, plans) finished to the same conventions.

trimesh writes the geometry; `finish_glb` then gives every GLB the same finish so
engines and the Khronos validator take it as it is: one root node named after the
asset, materials named after their meshes, a sampler (clamp to edge, linear mipmaps;
without one viewers repeat the texture, and an atlas bleeds at its borders), buffer
view targets, and the texture encoded as asked (PNG, JPEG, or WebP through
EXT_texture_webp).
"""

from __future__ import annotations

import io
import json
import math
import struct
from pathlib import Path
from typing import cast

import numpy as np
import trimesh
from PIL import Image
from trimesh.visual.material import PBRMaterial

import lift3d
from lift3d.export.geometry import flat_shaded_with_world_uv
from lift3d.export.options import MIME_TYPES, ExportOptions, encode_texture, z_up
from lift3d.files import write_bytes_atomic
from lift3d.types import Asset

_GLB_MAGIC = b"glTF"
_JSON_CHUNK = b"JSON"
_BIN_CHUNK = b"BIN\x00"
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963
# Clamp to edge (33071): a UV atlas must not wrap; linear magnification (9729),
# trilinear minification (9987, LINEAR_MIPMAP_LINEAR).
SAMPLER = {"magFilter": 9729, "minFilter": 9987, "wrapS": 33071, "wrapT": 33071}
DEFAULT_MATERIAL_NAME = "lift3d"  # what the asset stage calls its material; renamed per asset here
WEBP_EXTENSION = "EXT_texture_webp"
UNLIT_EXTENSION = "KHR_materials_unlit"


def export_glb(asset: Asset, path: Path, options: ExportOptions) -> list[Path]:
    """Write `asset` as one self-contained .glb (mesh, normals, UVs, PBR material, texture)."""
    write_bytes_atomic(path, asset_glb(asset, options.name_for(path.stem), options))
    return [path]


def asset_glb(asset: Asset, name: str, options: ExportOptions) -> bytes:
    """The finished GLB bytes of `asset`: one mesh node, mesh and material named `name`.

    trimesh is handed a one-texel stand-in for the texture, and the asset's texture is
    encoded once, in the format asked for: trimesh would spend ~4x longer on a PNG that
    is then thrown away for JPEG or WebP.
    """
    mesh = oriented_mesh(asset.mesh, options.up_for(".glb"))
    texture = _stand_in_texture(mesh, asset.texture)
    scene = trimesh.Scene()
    scene.add_geometry(mesh, node_name=name, geom_name=name)
    data = cast(bytes, scene.export(file_type="glb", include_normals=True))
    return finish_glb(
        data, name, options.texture_format, unlit=options.material == "unlit", base_color=texture
    )


def _stand_in_texture(mesh: trimesh.Trimesh, texture: np.ndarray | None) -> np.ndarray | None:
    """Swap the base-colour image of `mesh` for one texel; return the texture to embed.

    `mesh` is the exporter's own copy (`oriented_mesh` copies the material too).
    """
    material = getattr(mesh.visual, "material", None)
    if texture is None or not isinstance(material, PBRMaterial) or material.baseColorTexture is None:
        return None
    material.baseColorTexture = Image.new("RGB", (1, 1))
    return texture


def oriented_mesh(mesh: trimesh.Trimesh, up_axis: str) -> trimesh.Trimesh:
    """A copy of the asset's mesh with the given up axis; its cached normals kept (and turned)."""
    copy = mesh.copy(include_cache=True)
    if up_axis == "z":
        normals = z_up(mesh.vertex_normals)
        copy = trimesh.Trimesh(
            z_up(mesh.vertices), mesh.faces, vertex_normals=normals, visual=copy.visual, process=False
        )
    return copy


def finish_glb(
    data: bytes,
    name: str,
    texture_format: str = "png",
    up_axis: str = "y",
    translation: list[float] | None = None,
    unlit: bool = False,
    base_color: np.ndarray | None = None,
) -> bytes:
    """Give a GLB written by trimesh the project's finish (see the module docstring).

    A scene of several root nodes (frames, a plan's parts) gets one parent node named
    `name`; a lone root node is renamed `name`. `up_axis="z"` turns the parent node and
    `translation` (in the Y-up frame) moves it. `unlit` marks every material
    KHR_materials_unlit: viewers show the texture as it is, with the picture's look.
    `base_color` (a texture's pixels) replaces the single embedded image, encoded as `texture_format`.
    """
    document, binary = read_glb(data)
    views = _buffer_view_bytes(document, binary)
    scene = document["scenes"][document.get("scene", 0)]
    roots = list(scene.get("nodes", []))
    nodes = document.setdefault("nodes", [])
    if len(roots) == 1 and "children" not in nodes[roots[0]]:
        top = roots[0]
        nodes[top]["name"] = name
        mesh = nodes[top].get("mesh")
        if mesh is not None:
            document["meshes"][mesh]["name"] = name
    else:
        nodes.append({"name": name, "children": roots})
        top = len(nodes) - 1
        scene["nodes"] = [top]
    if translation is not None:
        nodes[top]["translation"] = translation
    if up_axis == "z":  # +90 degrees about X: (x, y, z) -> (x, -z, y)
        nodes[top]["rotation"] = [math.sin(math.pi / 4), 0.0, 0.0, math.cos(math.pi / 4)]
        if translation is not None:
            nodes[top]["translation"] = [translation[0], -translation[2], translation[1]]
    _name_materials(document)
    if unlit and document.get("materials"):
        for material in document["materials"]:
            material.setdefault("extensions", {})[UNLIT_EXTENSION] = {}
        used = document.setdefault("extensionsUsed", [])
        if UNLIT_EXTENSION not in used:
            used.append(UNLIT_EXTENSION)
    _set_targets(document)
    if document.get("textures"):
        document["samplers"] = [dict(SAMPLER)]
        for texture in document["textures"]:
            texture["sampler"] = 0
        _encode_images(document, views, texture_format, base_color)
    document["asset"] = {"version": "2.0", "generator": f"lift3d {lift3d.__version__}"}
    return write_glb(document, _pack(document, views))


def _name_materials(document: dict) -> None:
    """The asset stage's default material takes the name of the (first) mesh that uses it."""
    named: dict[int, str] = {}
    for mesh in document.get("meshes", []):
        for primitive in mesh.get("primitives", []):
            if "material" in primitive:
                named.setdefault(primitive["material"], mesh.get("name", ""))
    for index, material in enumerate(document.get("materials", [])):
        if material.get("name", DEFAULT_MATERIAL_NAME) == DEFAULT_MATERIAL_NAME and named.get(index):
            material["name"] = named[index]


def _set_targets(document: dict) -> None:
    """Mark vertex and index buffer views, so loaders can upload them without guessing."""
    views = document.get("bufferViews", [])
    targets: dict[int, set[int]] = {}
    for mesh in document.get("meshes", []):
        for primitive in mesh.get("primitives", []):
            pairs = [(accessor, ARRAY_BUFFER) for accessor in primitive.get("attributes", {}).values()]
            if "indices" in primitive:
                pairs.append((primitive["indices"], ELEMENT_ARRAY_BUFFER))
            for accessor, target in pairs:
                view = document["accessors"][accessor].get("bufferView")
                if view is not None:
                    targets.setdefault(view, set()).add(target)
    for view, kinds in targets.items():
        if len(kinds) == 1:
            views[view]["target"] = kinds.pop()


def _encode_images(
    document: dict, views: list[bytes], texture_format: str, base_color: np.ndarray | None = None
) -> None:
    """Re-encode embedded images as `texture_format` (or put `base_color` in the only one).

    WebP goes through EXT_texture_webp.
    """
    images = [image for image in document.get("images", []) if image.get("bufferView") is not None]
    if base_color is not None and len(images) != 1:
        raise ValueError(f"a texture to embed needs exactly one image in the GLB, found {len(images)}")
    if base_color is None and texture_format == "png":
        return
    for image in images:
        view = image["bufferView"]
        pixels = (
            base_color
            if base_color is not None
            else np.asarray(Image.open(io.BytesIO(views[view])).convert("RGB"))
        )
        views[view] = encode_texture(pixels, texture_format)
        image["mimeType"] = MIME_TYPES[texture_format]
    if texture_format == "webp":
        for entry in document["textures"]:
            source = entry.pop("source")
            entry.setdefault("extensions", {})[WEBP_EXTENSION] = {"source": source}
        for key in ("extensionsUsed", "extensionsRequired"):
            document[key] = sorted({*document.get(key, []), WEBP_EXTENSION})


def _buffer_view_bytes(document: dict, binary: bytes) -> list[bytes]:
    return [
        binary[view.get("byteOffset", 0) : view.get("byteOffset", 0) + view["byteLength"]]
        for view in document.get("bufferViews", [])
    ]


def _pack(document: dict, views: list[bytes]) -> bytes:
    """Lay the buffer views out again (4-byte aligned) after some of them changed size."""
    binary = bytearray()
    for view, data in zip(document.get("bufferViews", []), views, strict=True):
        binary += b"\x00" * (-len(binary) % 4)
        view["byteOffset"] = len(binary)
        view["byteLength"] = len(data)
        binary += data
    if document.get("buffers"):
        document["buffers"][0]["byteLength"] = len(binary)
    return bytes(binary)


def read_glb(data: bytes) -> tuple[dict, bytes]:
    """The JSON document and binary chunk of a GLB."""
    magic, version, length = struct.unpack_from("<4sII", data, 0)
    if magic != _GLB_MAGIC or version != 2 or length != len(data):
        raise ValueError("not a glTF 2.0 binary")
    json_length, json_type = struct.unpack_from("<I4s", data, 12)
    if json_type != _JSON_CHUNK:
        raise ValueError("a GLB starts with its JSON chunk")
    document = json.loads(data[20 : 20 + json_length])
    offset = 20 + json_length
    binary = b""
    if offset < len(data):
        bin_length, bin_type = struct.unpack_from("<I4s", data, offset)
        if bin_type == _BIN_CHUNK:
            binary = data[offset + 8 : offset + 8 + bin_length]
    return document, binary


def write_glb(document: dict, binary: bytes) -> bytes:
    """Pack a JSON document and a binary chunk as a GLB (chunks padded to 4 bytes)."""
    text = json.dumps(document, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    binary += b"\x00" * (-len(binary) % 4)
    length = 12 + 8 + len(text) + (8 + len(binary) if binary else 0)
    parts = [struct.pack("<4sII", _GLB_MAGIC, 2, length), struct.pack("<I4s", len(text), _JSON_CHUNK), text]
    if binary:
        parts += [struct.pack("<I4s", len(binary), _BIN_CHUNK), binary]
    return b"".join(parts)


def plan_glb(scene: trimesh.Scene, options: ExportOptions, stem: str, pivot: str = "base") -> bytes:
    """A plan's scene as GLB: every part flat-shaded with UVs in metres, under one node named after the plan.

    A plan is built with its floor at y = 0 and centred in x and z, which is the base
    pivot; `center` moves the plan's node so the middle of its box is at the origin.
    """
    finished = scene.copy()
    for name, geometry in scene.geometry.items():
        if isinstance(geometry, trimesh.Trimesh):
            finished.geometry[name] = flat_shaded_with_world_uv(geometry)
    data = cast(bytes, finished.export(file_type="glb", include_normals=True))
    offset = None
    if pivot == "center" and scene.bounds is not None:
        offset = [-float(value) for value in np.mean(scene.bounds, axis=0)]
    return finish_glb(
        data, options.name_for(stem), options.texture_format, options.up_for(".glb"), translation=offset
    )
