"""lift3d for Blender: turn a picture (a file or the Image Editor's image) into a textured mesh in the scene.

Install with Edit > Preferences > Add-ons > Install from Disk. The first half of this file
is a plain HTTP client for a `lift3d serve` server (urllib only, no bpy), so it also runs
and is tested outside Blender; the second half is the panel and operator, defined only
when `bpy` is importable.
"""

# No `from __future__ import annotations`: Blender reads property annotations as objects,
# which type checkers cannot read as types.
# mypy: disable-error-code="valid-type"

import contextlib
import functools
import importlib.util
import json
import logging
import mimetypes
import os
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import bpy
    from bpy.props import (
        BoolProperty,
        EnumProperty,
        FloatProperty,
        IntProperty,
        PointerProperty,
        StringProperty,
    )
except ImportError:  # outside Blender: only the client half is usable
    bpy = None

bl_info = {
    "name": "lift3d",
    "author": "lift3d contributors",
    "version": (0, 1, 0),
    "blender": (4, 0, 0),
    "location": "View3D > Sidebar > lift3d",
    "description": "Turn a picture into a watertight textured 3D asset with lift3d",
    "category": "Import-Export",
}

logger = logging.getLogger(__name__)

DEFAULT_SERVER_URL = "http://127.0.0.1:8000"
REQUEST_TIMEOUT_S = 60.0  # one HTTP request; a conversion is polled, not waited on
JOB_TIMEOUT_S = 3600.0  # a whole conversion, queue included
POLL_INTERVAL_S = 0.5
PANEL_OPTIONS_TIMEOUT_S = 2.0  # asked while Blender starts: a missing server must not hold it up

Progress = Callable[[float, str], None]
Cancelled = Callable[[], bool]


class ClientError(Exception):
    """A one-line message for the user: bad input, a refusal or failure, or no server."""


# The panel's numeric options by the server's form names, and the lift3d ConvertOptions field of each.
OPTION_FIELDS = {
    "faces": "max_faces",
    "texture_size": "texture_px",
    "height": "height_m",
    "seed": "seed",
    "variants": "variants",
}


@dataclass(frozen=True)
class ConvertRequest:
    """The options the panel offers; names follow the server's form fields and the CLI flags.

    An option left None takes the default of wherever the conversion runs (the server's
    /api/info, or lift3d's own in Blender), so this file restates none of them.
    """

    generator: str = ""  # empty: the best generator installed where the conversion runs
    faces: int | None = None
    texture_size: int | None = None
    height: float | None = None  # metres
    seed: int | None = None
    variants: int | None = None
    quads: bool | None = None  # a quad-dominant retopology, imported from OBJ (in-process only)

    def given(self) -> dict[str, Any]:
        """The numeric options asked for, by their form names."""
        return {name: getattr(self, name) for name in OPTION_FIELDS if getattr(self, name) is not None}

    def form_fields(self) -> dict[str, str]:
        """The multipart fields of POST /api/jobs; only GLB is asked for, Blender imports it."""
        fields = {name: str(value) for name, value in self.given().items()}
        fields["formats"] = "glb"
        if self.generator:
            fields["generator"] = self.generator
        return fields


@dataclass(frozen=True)
class Server:
    """Where a `lift3d serve` listens, and its bearer token (empty when it needs none)."""

    url: str = DEFAULT_SERVER_URL
    token: str = ""

    def endpoint(self, path: str) -> str:
        """`path` (like "api/jobs") under the server URL, keeping any prefix a proxy adds."""
        parsed = urllib.parse.urlsplit(self.url.strip())
        # urllib also opens file:// and ftp:// URLs; only a web server is meant here.
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ClientError(f"the server URL must look like {DEFAULT_SERVER_URL}, got {self.url!r}")
        return urllib.parse.urljoin(self.url.strip().rstrip("/") + "/", path)


def encode_multipart(fields: dict[str, str], file_name: str, file_bytes: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with text `fields` and the picture in `file`; returns body and type."""
    boundary = f"lift3d-{uuid.uuid4().hex}"
    safe_name = "".join(char for char in file_name if char not in '"\\\r\n') or "picture"
    media_type = mimetypes.guess_type(safe_name)[0] or "application/octet-stream"
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{safe_name}"\r\n'
        f"Content-Type: {media_type}\r\n\r\n".encode()
        + file_bytes
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def call_server(
    server: Server,
    method: str,
    path: str,
    body: bytes | None = None,
    content_type: str = "",
    timeout_s: float = REQUEST_TIMEOUT_S,
) -> bytes:
    """One request to the API; any failure becomes a ClientError carrying the server's own message."""
    url = server.endpoint(path)
    headers = {"Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    if server.token:
        headers["Authorization"] = f"Bearer {server.token}"
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        raise ClientError(f"the lift3d server refused: {_error_message(error)}") from None
    except urllib.error.URLError as error:
        raise ClientError(f"cannot reach the lift3d server at {server.url}: {error.reason}") from None
    except (TimeoutError, ConnectionError) as error:
        raise ClientError(f"the lift3d server at {server.url} did not answer: {error}") from None


def call_server_json(
    server: Server,
    method: str,
    path: str,
    body: bytes | None = None,
    content_type: str = "",
    timeout_s: float = REQUEST_TIMEOUT_S,
) -> dict[str, Any]:
    data = call_server(server, method, path, body, content_type, timeout_s)
    try:
        answer = json.loads(data)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise ClientError(f"{server.url} did not answer like a lift3d server")
    return answer


def lift3d_options() -> dict[str, dict[str, Any]]:
    """Each numeric option's default and range from the lift3d installed in this Python."""
    from lift3d.api import OPTION_RANGES, ConvertOptions

    return {
        name: {
            "default": getattr(ConvertOptions, field),
            "minimum": OPTION_RANGES[field][0],
            "maximum": OPTION_RANGES[field][1],
        }
        for name, field in OPTION_FIELDS.items()
    }


def server_options(server: Server, timeout_s: float = REQUEST_TIMEOUT_S) -> dict[str, dict[str, Any]]:
    """Each numeric option's default and range as the server's /api/info gives them (its caps included)."""
    options = call_server_json(server, "GET", "api/info", timeout_s=timeout_s).get("options")
    if not isinstance(options, dict) or not all(
        isinstance(options.get(name), dict) for name in OPTION_FIELDS
    ):
        raise ClientError(f"{server.url} is a lift3d server too old to say its options' defaults")
    return {
        name: {key: options[name].get(key) for key in ("default", "minimum", "maximum")}
        for name in OPTION_FIELDS
    }


def submit_job(server: Server, picture: Path, request: ConvertRequest) -> dict[str, Any]:
    """Upload the picture with its options; returns the queued job (its `id`, `status`, ...)."""
    try:
        data = Path(picture).read_bytes()
    except OSError as error:
        raise ClientError(f"cannot read the picture {picture}: {error.strerror}") from None
    body, content_type = encode_multipart(request.form_fields(), Path(picture).name, data)
    return call_server_json(server, "POST", "api/jobs", body, content_type)


def get_job(server: Server, job_id: str) -> dict[str, Any]:
    return call_server_json(server, "GET", f"api/jobs/{urllib.parse.quote(job_id, safe='')}")


def wait_for_job(
    server: Server,
    job_id: str,
    on_progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    timeout_s: float = JOB_TIMEOUT_S,
    poll_interval_s: float = POLL_INTERVAL_S,
) -> dict[str, Any]:
    """Poll until the job is done; a failed, cancelled or overdue job raises ClientError.

    A cancelled job is deleted on the server too, so it stops using the server's CPU.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        job = get_job(server, job_id)
        status = job.get("status")
        if on_progress is not None:
            on_progress(float(job.get("progress") or 0.0), str(job.get("stage") or status))
        if status == "done":
            return job
        if status == "failed":
            raise ClientError(f"the conversion failed: {job.get('error') or 'no reason given'}")
        if cancelled is not None and cancelled():
            with contextlib.suppress(ClientError):
                call_server(server, "DELETE", f"api/jobs/{urllib.parse.quote(job_id, safe='')}")
            raise ClientError("cancelled")
        if time.monotonic() > deadline:
            raise ClientError(f"the conversion did not finish within {timeout_s:g} s (job {job_id})")
        time.sleep(poll_interval_s)


def download_results(server: Server, job: dict[str, Any], folder: Path, kind: str = "glb") -> list[Path]:
    """Download the job's files of one kind into `folder`, in variant order; returns their paths."""
    files = sorted(
        (item for item in job.get("files", []) if item.get("kind") == kind),
        key=lambda item: item.get("variant") or 0,
    )
    if not files:
        raise ClientError(f"the finished job {job.get('id')} has no {kind} file")
    paths = []
    for item in files:
        name = str(item.get("name", ""))
        # The name becomes a local path: refuse anything but a plain file name.
        if not name or Path(name).name != name or name.startswith("."):
            raise ClientError(f"the server named a result file {name!r}, which is not a plain file name")
        job_id, file_name = (urllib.parse.quote(str(part), safe="") for part in (job["id"], name))
        data = call_server(server, "GET", f"api/jobs/{job_id}/files/{file_name}")
        paths.append(_write_file(Path(folder) / name, data))
    return paths


def convert_with_server(
    server: Server,
    picture: Path,
    request: ConvertRequest,
    folder: Path,
    on_progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    timeout_s: float = JOB_TIMEOUT_S,
) -> list[Path]:
    """Submit, wait and download: the GLB of every variant, in `folder`."""
    if request.quads:
        raise ClientError("quads are made in Blender's own lift3d: choose the 'In Blender' run mode")
    job = submit_job(server, picture, request)
    finished = wait_for_job(server, str(job["id"]), on_progress, cancelled, timeout_s)
    return download_results(server, finished, folder)


def panel_options(server: Server) -> dict[str, dict[str, Any]]:
    """Defaults and ranges to show in the panel: the server's, else those of the lift3d installed here.

    Empty when neither answers; the panel then shows no default, which is harmless, as an
    option the user leaves unset is not sent and takes the default where the conversion runs.
    """
    with contextlib.suppress(ClientError):
        return server_options(server, timeout_s=PANEL_OPTIONS_TIMEOUT_S)
    return lift3d_options() if lift3d_installed() else {}


def lift3d_installed() -> bool:
    """Whether lift3d itself can be imported here (in Blender: installed into Blender's Python)."""
    return importlib.util.find_spec("lift3d") is not None


def convert_in_process(
    picture: Path,
    request: ConvertRequest,
    folder: Path,
    on_progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> list[Path]:
    """Convert with the lift3d installed in this Python; variants use consecutive seeds, as the CLI does."""
    if not lift3d_installed():
        raise ClientError("lift3d is not installed in Blender's Python; use the local API server mode")
    from dataclasses import replace

    from lift3d.api import ConvertOptions, convert, save
    from lift3d.errors import Lift3DError

    given = {OPTION_FIELDS[name]: value for name, value in request.given().items()}
    try:
        if request.quads is not None:
            given["quads"] = request.quads
        options = ConvertOptions(generator=request.generator, **given)
    except Lift3DError as error:
        raise ClientError(str(error)) from None
    paths = []
    for variant in range(options.variants):
        if cancelled is not None and cancelled():
            raise ClientError("cancelled")
        if on_progress is not None:
            on_progress(variant / options.variants, f"variant {variant + 1} of {options.variants}")
        try:
            asset = convert(Path(picture), replace(options, seed=options.seed + variant, variants=1))
            written = save(asset, Path(folder) / f"model_{variant}.{'obj' if options.quads else 'glb'}")
        except Lift3DError as error:
            raise ClientError(str(error)) from None
        paths.append(written[0])
    return paths


def encode_png(rgba: Any) -> bytes:
    """An 8-bit RGBA PNG from an (H, W, 4) uint8 array, top row first; zlib only, no PIL in Blender."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + (zlib.crc32(body) & 0xFFFFFFFF).to_bytes(4, "big")

    height, width = int(rgba.shape[0]), int(rgba.shape[1])
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 6, 0, 0, 0])
    rows = b"".join(b"\x00" + bytes(row) for row in rgba.reshape(height, width * 4))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 6))
        + chunk(b"IEND", b"")
    )


def _write_file(path: Path, data: bytes) -> Path:
    """Write beside the target and rename, so an interrupted download never looks complete."""
    partial = path.with_name(f".{path.name}.part")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise ClientError(f"cannot write {path}: {error.strerror}") from None
    return path


def _error_message(error: urllib.error.HTTPError) -> str:
    """The server's {"error": "..."} line, else the HTTP status."""
    try:
        body = json.loads(error.read() or b"{}")
    except (ValueError, OSError):
        body = {}
    message = body.get("error") if isinstance(body, dict) else None
    text = str(message) if message else f"HTTP {error.code} {error.reason}"
    return " ".join(text.split())


class Conversion:
    """One conversion running in a worker thread, so Blender stays responsive while it runs.

    The modal operator polls `done` from Blender's main thread; only the main thread
    touches bpy, the worker only does HTTP or lift3d work and files.
    """

    def __init__(self, work: Callable[[Progress, Cancelled], list[Path]]) -> None:
        self.progress = (0.0, "queued")
        self.paths: list[Path] = []
        self.error = ""
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(work,), name="lift3d-conversion", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def _report(self, fraction: float, stage: str) -> None:
        self.progress = (fraction, stage)

    def _run(self, work: Callable[[Progress, Cancelled], list[Path]]) -> None:
        try:
            self.paths = work(self._report, self._cancel.is_set)
        except ClientError as error:
            self.error = str(error)
        except Exception as error:  # a bug: keep its traceback in the console, show one line
            logger.exception("lift3d conversion failed")
            self.error = f"lift3d failed: {type(error).__name__}: {' '.join(str(error).split())}"


if bpy is not None:
    GENERATOR_ITEMS = [
        ("AUTO", "Best installed", "The learned model when its weights are installed, else inflate"),
        ("diffusion", "Diffusion", "The learned model imagines the hidden back"),
        ("inflate", "Inflate", "Classical: inflates the outline like a balloon"),
        ("slab", "Slab", "Classical: extrudes the outline into a flat slab"),
    ]

    class Lift3DSettings(bpy.types.PropertyGroup):
        """The panel's options, saved with the .blend (the token is not: it lives on the window manager)."""

        source: EnumProperty(
            name="Picture",
            items=[
                ("FILE", "File", "A picture file on disk"),
                ("IMAGE_EDITOR", "Image Editor", "The image shown in an open Image Editor"),
            ],
            default="FILE",
        )
        image_path: StringProperty(name="File", subtype="FILE_PATH", description="PNG, JPEG, WebP or TIFF")
        generator: EnumProperty(name="Generator", items=GENERATOR_ITEMS, default="AUTO")
        quads: BoolProperty(
            name="Quads",
            description="Quad-dominant retopology for editing (needs lift3d[quads] in Blender's Python)",
        )
        mode: EnumProperty(
            name="Run",
            items=[
                ("SERVER", "Local API Server", "Send the picture to a running `lift3d serve`"),
                ("IN_PROCESS", "In Blender", "Use lift3d installed into Blender's own Python"),
            ],
            default="SERVER",
        )
        server_url: StringProperty(name="URL", default=DEFAULT_SERVER_URL)

    # The numeric properties' labels and units; their defaults and ranges are lift3d's (panel_options).
    OPTION_PROPERTIES = {
        "faces": (IntProperty, {"name": "Faces", "description": "Maximum number of triangles"}),
        "texture_size": (
            IntProperty,
            {"name": "Texture Size", "description": "Width and height", "subtype": "PIXEL"},
        ),
        "height": (FloatProperty, {"name": "Height", "description": "Height in metres", "unit": "LENGTH"}),
        "seed": (IntProperty, {"name": "Seed", "description": "Random seed of the generator"}),
        "variants": (
            IntProperty,
            {"name": "Variants", "description": "Results from consecutive seeds, to compare"},
        ),
    }
    BLENDER_INT_MAX = 2**31 - 1  # an IntProperty is a 32-bit signed integer

    def option_properties(options: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """The panel's numeric properties with the defaults and ranges in `options` (any may be missing)."""
        properties = {}
        for name, (kind, details) in OPTION_PROPERTIES.items():
            option = options.get(name, {})
            limits = {
                "default": option.get("default"),
                "min": option.get("minimum"),
                "max": option.get("maximum"),
            }
            # JSON may carry a whole number as 100.0; an IntProperty takes only int, and 32 bits.
            number = (lambda value: min(int(value), BLENDER_INT_MAX)) if kind is IntProperty else float
            given = {key: number(value) for key, value in limits.items() if isinstance(value, int | float)}
            properties[name] = kind(**details, **given)
        return properties

    def convert_request(settings: Any) -> ConvertRequest:
        # Only the options the user set: the others take the defaults where the conversion runs.
        asked = (*OPTION_FIELDS, "quads")
        given = {name: getattr(settings, name) for name in asked if settings.is_property_set(name)}
        return ConvertRequest(
            generator="" if settings.generator == "AUTO" else settings.generator,
            **given,
        )

    def editor_image(context: Any) -> Any:
        """The image of an open Image Editor, the one in the current screen first."""
        screens = [context.screen] if context.screen else []
        screens += [window.screen for window in context.window_manager.windows]
        for screen in screens:
            for area in screen.areas if screen else ():
                if area.type == "IMAGE_EDITOR" and area.spaces.active.image is not None:
                    return area.spaces.active.image
        return None

    def picture_path(context: Any, settings: Any, folder: Path) -> Path:
        """The picture to convert as a file: the chosen path, or the editor's image (saved if need be)."""
        if settings.source == "FILE":
            if not settings.image_path:
                raise ClientError("choose a picture file first")
            path = Path(bpy.path.abspath(settings.image_path))
            if not path.is_file():
                raise ClientError(f"no picture at {path}")
            return path
        image = editor_image(context)
        if image is None:
            raise ClientError("no image is open in an Image Editor")
        return image_to_file(image, folder)

    def image_to_file(image: Any, folder: Path) -> Path:
        """The image's own file when it is saved and unchanged, else a PNG of its pixels."""
        if image.source == "FILE" and image.packed_file is None and not image.is_dirty:
            path = Path(bpy.path.abspath(image.filepath, library=image.library))
            if path.is_file():
                return path
        import numpy as np

        width, height = image.size
        channels = image.channels
        if width == 0 or height == 0 or len(image.pixels) != width * height * channels:
            raise ClientError(f"the image {image.name!r} has no pixels to read; save it to a file first")
        pixels = np.empty(width * height * channels, dtype=np.float32)
        image.pixels.foreach_get(pixels)
        pixels = pixels.reshape(height, width, channels)[::-1]  # Blender stores the bottom row first
        rgba = np.ones((height, width, 4), dtype=np.float32)
        rgba[..., : min(channels, 3)] = pixels[..., : min(channels, 3)]
        if channels == 1:
            rgba[..., 1:3] = pixels[..., :1]
        if channels in (2, 4):
            rgba[..., 3] = pixels[..., -1]
        if image.is_float:  # float buffers are linear; the picture is expected in sRGB
            colour = np.clip(rgba[..., :3], 0.0, 1.0)
            rgba[..., :3] = np.where(colour <= 0.0031308, colour * 12.92, 1.055 * colour ** (1 / 2.4) - 0.055)
        data = np.round(np.clip(rgba, 0.0, 1.0) * 255).astype(np.uint8)
        stem = "".join(char if char.isalnum() or char in "-_" else "_" for char in image.name) or "image"
        return _write_file(folder / f"{stem}.png", encode_png(data))

    def import_glbs(context: Any, paths: list[Path], name: str) -> list[Any]:
        """Import each GLB (OBJ with quads), set variants side by side along X, and select what was imported."""
        imported: list[Any] = []
        offset = 0.0
        for index, path in enumerate(paths):
            before = set(context.scene.objects)
            if path.suffix == ".obj":  # quads; the OBJ is Y-up, the importer's default
                result = bpy.ops.wm.obj_import(filepath=str(path))
                for image in bpy.data.images:  # the texture's folder is deleted after the import
                    if image.filepath and Path(bpy.path.abspath(image.filepath)).parent == path.parent:
                        image.pack()
            else:
                result = bpy.ops.import_scene.gltf(filepath=str(path))
            if "FINISHED" not in result:
                raise ClientError(f"Blender could not import {path.name}")
            new = [obj for obj in context.scene.objects if obj not in before]
            context.view_layer.update()
            for root in (obj for obj in new if obj.parent not in new):
                root.name = name if len(paths) == 1 else f"{name}_{index}"
                root.location.x += offset
            offset += 1.25 * max((obj.dimensions.x for obj in new if obj.type == "MESH"), default=1.0)
            imported += new
        for obj in context.view_layer.objects:
            obj.select_set(obj in imported)
        meshes = [obj for obj in imported if obj.type == "MESH"]
        if meshes:
            context.view_layer.objects.active = meshes[0]
        return imported

    class LIFT3D_OT_convert(bpy.types.Operator):
        """Convert the picture to a watertight textured mesh and import it into the scene"""

        bl_idname = "lift3d.convert"
        bl_label = "Convert to 3D"
        bl_options = {"REGISTER", "UNDO"}

        def _prepare(self, context: Any) -> tuple[Conversion, Path, str]:
            settings = context.scene.lift3d
            folder = Path(tempfile.mkdtemp(prefix="lift3d-"))
            try:
                picture = picture_path(context, settings, folder)
            except Exception:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            request = convert_request(settings)
            if settings.mode == "IN_PROCESS":

                def work(progress: Progress, cancelled: Cancelled) -> list[Path]:
                    return convert_in_process(picture, request, folder, progress, cancelled)

            else:
                token = context.window_manager.lift3d_token or os.environ.get("LIFT3D_TOKEN", "")
                server = Server(settings.server_url, token)

                def work(progress: Progress, cancelled: Cancelled) -> list[Path]:
                    return convert_with_server(server, picture, request, folder, progress, cancelled)

            return Conversion(work), folder, f"lift3d_{Path(picture).stem}"

        def _finish(self, context: Any, conversion: Conversion, folder: Path, name: str) -> set[str]:
            try:
                if conversion.error:
                    self.report({"ERROR"}, conversion.error)
                    return {"CANCELLED"}
                try:
                    objects = import_glbs(context, conversion.paths, name)
                except ClientError as error:
                    self.report({"ERROR"}, str(error))
                    return {"CANCELLED"}
                self.report(
                    {"INFO"}, f"lift3d: imported {len(conversion.paths)} model(s), {len(objects)} object(s)"
                )
                return {"FINISHED"}
            finally:
                shutil.rmtree(folder, ignore_errors=True)

        def execute(self, context: Any) -> set[str]:
            """Blocking: for scripts and background Blender, where no modal loop runs."""
            try:
                conversion, folder, name = self._prepare(context)
            except ClientError as error:
                self.report({"ERROR"}, str(error))
                return {"CANCELLED"}
            conversion.start()
            while not conversion.done:
                time.sleep(0.05)
            return self._finish(context, conversion, folder, name)

        def invoke(self, context: Any, event: Any) -> set[str]:
            if bpy.app.background:
                return self.execute(context)
            try:
                self._conversion, self._folder, self._name = self._prepare(context)
            except ClientError as error:
                self.report({"ERROR"}, str(error))
                return {"CANCELLED"}
            self._conversion.start()
            self._timer = context.window_manager.event_timer_add(0.25, window=context.window)
            context.window_manager.modal_handler_add(self)
            return {"RUNNING_MODAL"}

        def modal(self, context: Any, event: Any) -> set[str]:
            if event.type == "ESC" and event.value == "PRESS":
                self._conversion.cancel()  # the worker stops (and deletes the server job) at its next poll
                return {"RUNNING_MODAL"}
            if event.type != "TIMER":
                return {"PASS_THROUGH"}
            if not self._conversion.done:
                fraction, stage = self._conversion.progress
                context.workspace.status_text_set(f"lift3d: {stage} {fraction:.0%}  (Esc to cancel)")
                return {"PASS_THROUGH"}
            context.window_manager.event_timer_remove(self._timer)
            context.workspace.status_text_set(None)
            return self._finish(context, self._conversion, self._folder, self._name)

    class LIFT3D_PT_panel(bpy.types.Panel):
        bl_label = "lift3d"
        bl_idname = "LIFT3D_PT_panel"
        bl_space_type = "VIEW_3D"
        bl_region_type = "UI"
        bl_category = "lift3d"

        def draw(self, context: Any) -> None:
            settings = context.scene.lift3d
            layout = self.layout
            layout.use_property_split = True
            layout.use_property_decorate = False

            column = layout.column()
            column.prop(settings, "source", expand=True)
            if settings.source == "FILE":
                column.prop(settings, "image_path")
            else:
                image = editor_image(context)
                column.label(
                    text=image.name if image else "Open an image in an Image Editor", icon="IMAGE_DATA"
                )

            column = layout.column(heading="Options")
            for name in ("generator", "faces", "texture_size", "height", "seed", "variants", "quads"):
                column.prop(settings, name)

            column = layout.column()
            column.prop(settings, "mode", expand=True)
            if settings.mode == "SERVER":
                column.prop(settings, "server_url")
                column.prop(context.window_manager, "lift3d_token")
            elif not _lift3d_installed_cached():
                column.label(text="lift3d is not installed in Blender's Python", icon="ERROR")
            layout.operator(LIFT3D_OT_convert.bl_idname, icon="IMPORT")

    @functools.lru_cache(maxsize=1)
    def _lift3d_installed_cached() -> bool:
        return lift3d_installed()

    CLASSES = (Lift3DSettings, LIFT3D_OT_convert, LIFT3D_PT_panel)


def register() -> None:
    # Built here, not at import: the defaults come from the server or lift3d, asked once per start.
    Lift3DSettings.__annotations__.update(option_properties(panel_options(Server())))
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.lift3d = PointerProperty(type=Lift3DSettings)
    # On the window manager so the token is never saved into a .blend that gets shared.
    bpy.types.WindowManager.lift3d_token = StringProperty(
        name="Token", subtype="PASSWORD", description="The server's --token (default: $LIFT3D_TOKEN)"
    )


def unregister() -> None:
    del bpy.types.WindowManager.lift3d_token
    del bpy.types.Scene.lift3d
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
