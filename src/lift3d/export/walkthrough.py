"""A floor plan as one offline HTML page you walk through: the GLB, three.js and the walk data inlined.

The page and the studio run the same module, walkthrough.js beside this file. Collisions
are 2D: the walls and glass cut at knee height give outline segments (door openings are
gaps in them), and the walker is a circle that may not come nearer than its
radius to any of them. Everything is in the plan's glTF frame (X right, Z down the
picture, floor at Y = 0), so the base pivot and a Y-up GLB are what the page shows.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
from pathlib import Path

import numpy as np
import trimesh
from scipy import ndimage

from lift3d.errors import OptionError
from lift3d.reconstruct.plan import PlanResult
from lift3d.reconstruct.plan_geometry import SLAB_M

WALKTHROUGH_JS = Path(__file__).with_name("walkthrough.js")
# The three.js files the studio serves; the page inlines the same ones (MIT, notice kept).
THREE_DIR = Path(__file__).parents[1] / "serve" / "static" / "vendor" / "three"
EYE_HEIGHT_M = 1.6
BODY_RADIUS_M = 0.25  # a shoulder's half width: doors of 0.7 m and more stay passable
KNEE_HEIGHT_M = 0.5  # cut height of the collision outline: under any window sill, through every door
START_RAYS = 32  # directions tried for the first view; the longest free one is chosen
# Module specifier -> vendored file, and the relative imports rewritten to those specifiers:
# a data: URL has no base, so '../utils/X.js' cannot resolve from it.
THREE_MODULES = {
    "three": "build/three.module.js",
    "three-core": "build/three.core.js",
    "three/addons/loaders/GLTFLoader.js": "examples/jsm/loaders/GLTFLoader.js",
    "three/addons/utils/BufferGeometryUtils.js": "examples/jsm/utils/BufferGeometryUtils.js",
    "three/addons/utils/SkeletonUtils.js": "examples/jsm/utils/SkeletonUtils.js",
}
RELATIVE_IMPORTS = {
    "build/three.module.js": {"'./three.core.js'": "'three-core'"},
    "examples/jsm/loaders/GLTFLoader.js": {
        "'../utils/BufferGeometryUtils.js'": "'three/addons/utils/BufferGeometryUtils.js'",
        "'../utils/SkeletonUtils.js'": "'three/addons/utils/SkeletonUtils.js'",
    },
}


def walk_layout(result: PlanResult) -> dict:
    """What the walker needs besides the scene: collision segments, rooms, doors, where to start.

    JSON-ready, metres in the plan frame; points are (X, Z).
    """
    scene = result.model.scene
    # Door leaves are not obstacles: two leaves drawn open into one narrow room can close it off
    # (held-out plan 1000002: the guest room, and the hall behind it, were unreachable).
    solid = [node for node in scene.graph.nodes_geometry if node.startswith(("wall_", "window_"))]
    heights = result.options
    cut_m = min(KNEE_HEIGHT_M, heights.door_height_m / 2)
    segments = _outline(scene, solid, cut_m)
    rooms = []
    for room in result.model.rooms:
        outline = _polylines(scene, [f"{room.name}_floor"], -SLAB_M / 2)
        rooms.append(
            {
                "name": room.name,
                "area_m2": round(room.area_m2, 2),
                "centroid_m": [round(value, 3) for value in room.centroid_m],
                "outline_m": [np.round(line, 3).tolist() for line in outline],
            }
        )
    position = _start_point(result)
    flat = np.array(segments, dtype=np.float64).reshape(-1, 4)
    bounds = np.concatenate([flat[:, :2], flat[:, 2:]]) if len(flat) else np.zeros((1, 2))
    return {
        "eye_height_m": EYE_HEIGHT_M,
        "radius_m": BODY_RADIUS_M,
        "wall_height_m": heights.wall_height_m,
        "segments_m": segments,
        "rooms": rooms,
        "doors": [
            {"name": opening.name, "centre_m": [round(value, 3) for value in opening.centre_m]}
            for opening in result.model.openings
            if opening.kind == "door"
        ],
        "bounds_m": [np.round(bounds.min(axis=0), 3).tolist(), np.round(bounds.max(axis=0), 3).tolist()],
        "start": {
            "position_m": [round(value, 3) for value in position],
            "yaw_deg": round(_open_direction(position, flat), 1),
        },
    }


def _polylines(scene: trimesh.Scene, nodes: list[str], height_m: float) -> list[np.ndarray]:
    """The outlines of the named nodes cut by the plane Y = height_m, as (N, 2) X, Z polylines."""
    lines = []
    for node in nodes:
        transform, geometry = scene.graph[node]
        mesh = scene.geometry[geometry].copy()
        mesh.apply_transform(transform)
        section = mesh.section(plane_origin=[0.0, height_m, 0.0], plane_normal=[0.0, 1.0, 0.0])
        if section is None:
            continue
        lines += [_drop_collinear(points[:, [0, 2]]) for points in section.discrete]
    return lines


def _outline(scene: trimesh.Scene, nodes: list[str], height_m: float) -> list[list[float]]:
    """Collision segments [X0, Z0, X1, Z1]: every edge of the cut outlines."""
    segments = []
    for line in _polylines(scene, nodes, height_m):
        for start, end in zip(line[:-1], line[1:], strict=True):
            if np.linalg.norm(end - start) > 1e-6:
                segments.append([round(float(value), 3) for value in (*start, *end)])
    return segments


def _drop_collinear(points: np.ndarray, tolerance_m: float = 1e-4) -> np.ndarray:
    """A polyline without the vertices that lie on the line through their neighbours (cut triangles)."""
    kept = [points[0]]
    for index in range(1, len(points) - 1):
        before, here, after = kept[-1], points[index], points[index + 1]
        edge = after - before
        length = np.linalg.norm(edge)
        offset = abs(edge[0] * (here - before)[1] - edge[1] * (here - before)[0]) / max(length, 1e-12)
        if offset > tolerance_m:
            kept.append(here)
    kept.append(points[-1])
    return np.array(kept)


def _start_point(result: PlanResult) -> tuple[float, float]:
    """The point of the largest room farthest from its walls: inside it even when the room is L-shaped."""
    largest = max(result.model.rooms, key=lambda room: room.area_m2)
    label = int(largest.name.removeprefix("room_"))
    clearance = ndimage.distance_transform_edt(np.pad(result.room_labels == label, 1))[1:-1, 1:-1]
    row, col = np.unravel_index(int(np.argmax(clearance)), clearance.shape)
    x_m, z_m = result.model.frame.to_metres(col + 0.5, row + 0.5)
    return float(x_m), float(z_m)


def _open_direction(position: tuple[float, float], segments: np.ndarray) -> float:
    """Yaw in degrees (0 looks along -Z, 90 along -X, as a three.js camera turns) of the longest free ray."""
    best, best_yaw = -1.0, 0.0
    origin = np.array(position)
    for yaw in np.linspace(0.0, 360.0, START_RAYS, endpoint=False):
        direction = np.array([-math.sin(math.radians(yaw)), -math.cos(math.radians(yaw))])
        free = _ray_length(origin, direction, segments)
        if free > best + 1e-9:
            best, best_yaw = free, float(yaw)
    return best_yaw


def _ray_length(origin: np.ndarray, direction: np.ndarray, segments: np.ndarray) -> float:
    """Distance along the ray to the first segment it crosses (inf if none)."""
    if len(segments) == 0:
        return math.inf
    start, edge = segments[:, :2], segments[:, 2:] - segments[:, :2]
    denominator = direction[0] * edge[:, 1] - direction[1] * edge[:, 0]
    offset = start - origin
    with np.errstate(divide="ignore", invalid="ignore"):
        along_ray = (offset[:, 0] * edge[:, 1] - offset[:, 1] * edge[:, 0]) / denominator
        along_edge = (offset[:, 0] * direction[1] - offset[:, 1] * direction[0]) / denominator
    hit = (np.abs(denominator) > 1e-12) & (along_ray > 0) & (along_edge >= 0) & (along_edge <= 1)
    return float(along_ray[hit].min()) if hit.any() else math.inf


def walkthrough_html(glb: bytes, layout: dict, title: str) -> str:
    """One page holding everything: three.js gzipped inline, the GLB and the layout.

    Gzip takes the page from 3.2 MB to about 1 MB. The boot script unzips each module
    (DecompressionStream), turns it into a data: URL (the one kind of module URL that
    works from a file:// page), then adds the import map and the walkthrough module: an
    import map must come before any module, so both are added only once the URLs exist.
    """
    if not layout.get("segments_m"):
        raise OptionError("the plan has no walls to walk between")
    modules = {name: _zipped_module(relative) for name, relative in THREE_MODULES.items()}
    licence = (THREE_DIR / "LICENSE").read_text(encoding="utf-8").replace("--", "- -")
    module = WALKTHROUGH_JS.read_text(encoding="utf-8")
    if "</script" in module.lower():
        raise ValueError("walkthrough.js must not contain a closing script tag")
    page_title = _escape_html(f"{title}: walkthrough")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{page_title}</title>
<link rel="icon" href="data:,">
<style>html, body {{ margin: 0; height: 100%; overflow: hidden; background: #cfd8e3; }}
#walk-view {{ position: fixed; inset: 0; }}</style>
<!-- Made by lift3d. It carries three.js (three@0.187.0: build/three.module.js, build/three.core.js,
examples/jsm/loaders/GLTFLoader.js, utils/BufferGeometryUtils.js, utils/SkeletonUtils.js), gzipped,
under this licence:

{licence}
-->
</head>
<body>
<div id="walk-view"></div>
<script type="application/json" id="walk-modules">{_json_in_script(modules)}</script>
<script type="application/json" id="walk-layout">{_json_in_script(layout)}</script>
<script type="application/octet-stream" id="walk-glb">{base64.b64encode(glb).decode("ascii")}</script>
<script type="text/plain" id="walk-module">
{module}
const glb = Uint8Array.from(atob(document.getElementById("walk-glb").textContent), (c) => c.charCodeAt(0));
const layout = JSON.parse(document.getElementById("walk-layout").textContent);
startWalkthrough(document.getElementById("walk-view"), glb.buffer, layout);
</script>
<script>
(async () => {{
  const zipped = JSON.parse(document.getElementById("walk-modules").textContent);
  const imports = {{}};
  for (const [name, text] of Object.entries(zipped)) {{
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    const plain = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).blob();
    imports[name] = await new Promise((resolve) => {{
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.readAsDataURL(new Blob([plain], {{ type: "text/javascript" }}));
    }});
  }}
  const map = document.createElement("script");
  map.type = "importmap";
  map.textContent = JSON.stringify({{ imports }});
  document.head.append(map);
  const walk = document.createElement("script");
  walk.type = "module";
  walk.textContent = document.getElementById("walk-module").textContent;
  document.body.append(walk);
}})();
</script>
</body>
</html>
"""


def _zipped_module(relative: str) -> str:
    """A vendored three.js file, its relative imports renamed to the import map's names, gzipped, base64."""
    text = (THREE_DIR / relative).read_text(encoding="utf-8")
    for old, new in RELATIVE_IMPORTS.get(relative, {}).items():
        if old not in text:
            raise ValueError(
                f"{relative} no longer imports {old}: update RELATIVE_IMPORTS for the new three.js"
            )
        text = text.replace(old, new)
    # mtime=0: the same plan gives the same page, byte for byte.
    return base64.b64encode(gzip.compress(text.encode("utf-8"), mtime=0)).decode("ascii")


def _json_in_script(value: dict) -> str:
    """JSON that cannot end its script element early."""
    return json.dumps(value, separators=(",", ":")).replace("<", "\\u003c")


def _escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
