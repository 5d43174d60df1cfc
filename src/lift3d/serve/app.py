"""The FastAPI application: the jobs API under /api and the studio page at /."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import hashlib
import hmac
import io
import json
import logging
import re
import unicodedata
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

import anyio
import anyio.to_thread
from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.routing import APIRouter
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import lift3d
from lift3d.api import GENERATORS, OPTION_RANGES, Converter, ConvertOptions
from lift3d.errors import InputError, Lift3DError, OptionError
from lift3d.export.walkthrough import WALKTHROUGH_JS
from lift3d.files import write_bytes_atomic
from lift3d.inputs.read import read_picture_bytes
from lift3d.serve.draw import draw_router
from lift3d.serve.kinds import (
    KIND_FIELDS,
    KINDS,
    check_files,
    check_kind_fields,
    check_views_cameras,
    kind_defaults,
    kind_options,
)
from lift3d.serve.service import StudioService, open_service
from lift3d.serve.settings import FORMATS, ServerSettings
from lift3d.serve.store import DONE, RUNNING, Job
from lift3d.serve.worker import INPUTS_DIR, UPLOAD_NAME, download_name, job_dir, remove_job_files

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
# Room for the multipart framing and the option fields around the picture itself.
FORM_OVERHEAD_BYTES = 64 * 1024
FIELD_MAX_BYTES = 16 * 1024
MEDIA_TYPES = {
    ".glb": "model/gltf-binary",
    ".obj": "model/obj",
    ".mtl": "model/mtl",
    ".stl": "model/stl",
    ".ply": "application/octet-stream",
    ".png": "image/png",
    ".json": "application/json",
    ".zip": "application/zip",
    ".usdz": "model/vnd.usdz+zip",
}
# The form's names for the ConvertOptions fields, so a refusal names what the client sent.
FORM_NAMES = {"max_faces": "faces", "texture_px": "texture_size", "height_m": "height"}
CONVERT_FIELDS = {field.name: field for field in dataclasses.fields(ConvertOptions)}
# The form fields this server may cap below what the converter accepts, and the setting that does.
SERVER_CAPS = {
    "steps": "max_steps",
    "variants": "max_variants",
    "faces": "max_faces",
    "texture_size": "max_texture_px",
}


def _option_field(name: str, **details: Any) -> Any:
    """The form field of a ConvertOptions field: its default and help are the field's own."""
    declared = CONVERT_FIELDS[name]
    return Field(declared.default, **{"description": declared.metadata["help"], **details})


# What a picture decoded as is stored with, so the pipelines read it as the CLI reads a file.
SUFFIXES = {"PNG": ".png", "JPEG": ".jpg", "MPO": ".jpg", "WEBP": ".webp", "GIF": ".gif", "BMP": ".bmp"}


class JobForm(BaseModel):
    """The option fields of a job upload; names follow the CLI flags."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(
        "picture",
        description="picture: one view of an object; ortho: a sheet or front, side, top views; "
        "views: pictures around the object; frames: an animation's frames, GIF or sprite sheet; "
        "plan: a floor plan drawing",
        json_schema_extra={"enum": list(KINDS)},
    )
    generator: str = _option_field(
        "generator",
        description="what imagines the hidden shape; empty picks the best installed",
        json_schema_extra={"enum": ["", *GENERATORS]},
    )
    # Defaults and help are ConvertOptions'. Seed and height bounds are lift3d.api.OPTION_RANGES
    # (declared once); faces, texture, steps and variants have this server's own lower limits
    # (SERVER_CAPS, see /api/info), checked with their names.
    faces: int = _option_field("max_faces", ge=1)
    texture_size: int = _option_field("texture_px", ge=1)
    height: float = _option_field(
        "height_m", ge=OPTION_RANGES["height_m"][0], le=OPTION_RANGES["height_m"][1], allow_inf_nan=False
    )
    seed: int = _option_field("seed", ge=0, le=OPTION_RANGES["seed"][1])
    steps: int = _option_field("steps", ge=0)
    variants: int = _option_field("variants", ge=1)
    formats: str = Field(
        "",
        description=f"comma-separated, any of: {', '.join(FORMATS)} (frames and plans: glb); "
        "empty gives the kind's defaults (see /api/info)",
    )
    adapters: str = Field(
        "", description="style adapters with strengths, passed to the converter when it supports them"
    )
    # Each kind's own fields (lift3d.serve.kinds); given to another kind they are refused.
    projection: Literal["auto", "third-angle", "first-angle"] | None = Field(
        None, description="ortho: layout of the views on a sheet [default: auto]"
    )
    azimuths: str | None = Field(
        None, description="views: azimuth of each picture in degrees, e.g. 0,90,180,270 [default: even]"
    )
    framing: Literal["shared", "each"] | None = Field(
        None, description="views: shared = one fixed camera for all; each = pictures cropped apart"
    )
    fps: float | None = Field(None, gt=0, le=240, allow_inf_nan=False, description="frames: playback rate")
    frames_grid: str | None = Field(
        None, description="frames: sprite sheet grid COLUMNSxROWS [default: detect]"
    )
    scale: float | None = Field(
        None,
        gt=0,
        le=10,
        allow_inf_nan=False,
        description="plan: metres per pixel [default: doors are 0.85 m]",
    )
    wall_length: float | None = Field(
        None, gt=0, le=10_000, allow_inf_nan=False, description="plan: the longest straight wall in metres"
    )
    wall_height: float | None = Field(
        None, ge=0.5, le=100, allow_inf_nan=False, description="plan: wall height"
    )
    ceilings: bool | None = Field(None, description="plan: a ceiling over every room")


class FileOut(BaseModel):
    name: str
    kind: str = Field(
        description="glb, obj, obj.zip, mtl, texture, stl, ply, usdz, frame, preview or provenance"
    )
    variant: int | None
    download_name: str = Field(description="the name to save it as: the picture's, as the CLI names it")
    bytes: int
    url: str


class JobOut(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float = Field(ge=0, le=1)
    stage: str
    error: str | None
    source: str
    kind: str = Field(description="picture, ortho, views, frames or plan")
    options: dict[str, Any]
    queue_position: int | None = Field(description="jobs that start before this one, while queued")
    created_at: float
    started_at: float | None
    finished_at: float | None
    files: list[FileOut]
    url: str


class JobList(BaseModel):
    jobs: list[JobOut]


class CutoutOut(BaseModel):
    """The object a conversion would use: its outline over the picture, before any mesh is made."""

    kind: str = Field(description="detected input kind: photo, render or sketch")
    width: int = Field(description="width of the picture the outline is drawn in, in pixels")
    height: int
    object_share: float = Field(description="share of the picture the object covers")
    outlines: list[list[list[int]]] = Field(description="closed polygons [[x, y], ...] around the object")


class KindOut(BaseModel):
    """What a job of one kind takes and gives, for building a form."""

    files: str = Field(description="what to upload")
    min_files: int
    max_files: int
    fields: list[str] = Field(description="the form fields that mean something for this kind")
    formats: list[str]
    default_formats: list[str]


class OptionOut(BaseModel):
    """One form field's default, range and help, for building a form."""

    default: bool | int | float | str | None = Field(description="what the field is when left out")
    minimum: int | float | None
    maximum: int | float | None = Field(description="the converter's limit, or this server's when lower")
    help: str


class Info(BaseModel):
    version: str
    generators: list[str]
    default_generator: str
    formats: list[str]
    kinds: dict[str, KindOut]
    limits: dict[str, int]
    options: dict[str, OptionOut] = Field(description="each form field's default, range and help")
    auth_required: bool
    queued_jobs: int = Field(description="jobs waiting now, all clients together")


class ErrorOut(BaseModel):
    error: str


def _error_docs(*codes: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "the Host header names another server",
        401: "missing or wrong bearer token",
        403: "the request comes from a foreign web page (Origin)",
        408: "the upload did not arrive in time",
        404: "no such job or file",
        409: "the job has no results yet",
        413: "the upload is too large",
        415: "the request is not multipart/form-data",
        422: "the picture or an option cannot be used",
        503: "the queue is full",
    }
    return {code: {"model": ErrorOut, "description": descriptions[code]} for code in codes}


class _UploadTooLarge(Exception):
    """The request body grew past the limit while streaming in."""


def create_app(
    settings: ServerSettings, converter_factory: Callable[[str], Converter] = Converter
) -> FastAPI:
    """The studio application; workers start and stop with the app's lifespan.

    Everything lives on the app, so two apps (a test and a restarted server) never share
    state. Uploads are size-limited while they stream in, then sniffed and fully decoded
    before a job is queued: a bad picture is refused with its message at once instead of
    failing later in a worker.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = await anyio.to_thread.run_sync(open_service, settings, converter_factory)
        app.state.service = service
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(service.close)

    app = FastAPI(
        title="lift3d",
        version=lift3d.__version__,
        description="Turn a picture of an object into a watertight, textured 3D asset.",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN; the studio works offline
        redoc_url=None,
    )
    _add_error_handlers(app)
    dependencies = [Depends(_bearer_check(settings.tokens))] if settings.tokens else []
    app.include_router(_api_router(settings), prefix="/api", dependencies=dependencies)
    app.include_router(draw_router(settings), prefix="/api", dependencies=dependencies)

    page, policy = _studio_page("index.html")
    draw_page, draw_policy = _studio_page("draw.html")

    @app.get("/", include_in_schema=False)
    def studio() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": policy, "Cache-Control": "no-cache"})

    @app.get("/draw", include_in_schema=False)
    def draw() -> HTMLResponse:
        return HTMLResponse(
            draw_page, headers={"Content-Security-Policy": draw_policy, "Cache-Control": "no-cache"}
        )

    @app.get("/walkthrough.js", include_in_schema=False)
    def walkthrough_module() -> FileResponse:
        """The plan walkthrough: one source for the studio and the offline page (lift3d.export)."""
        return FileResponse(
            WALKTHROUGH_JS, media_type="text/javascript", headers={"Cache-Control": "no-cache"}
        )

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(_SecurityHeaders)
    app.add_middleware(_HostAndOriginCheck, settings=settings)  # outermost: refuses before anything runs
    return app


def _api_router(settings: ServerSettings) -> APIRouter:
    router = APIRouter()

    def service(request: Request) -> StudioService:
        return request.app.state.service

    @router.get("/info", response_model=Info, responses=_error_docs(401))
    def info(request: Request) -> Info:
        """What this server offers: generators, formats and limits, for building a form."""
        studio = service(request)
        return Info(
            version=lift3d.__version__,
            generators=studio.generators,
            default_generator=ConvertOptions().resolved().generator,
            formats=available_formats(),
            kinds=_kinds_out(settings),
            limits={
                "max_steps": settings.max_steps,
                "max_upload_bytes": settings.max_upload_bytes,
                "max_files_per_job": settings.max_files_per_job,
                "max_pixels": settings.max_pixels,
                "max_variants": settings.max_variants,
                "max_faces": settings.max_faces,
                "max_texture_px": settings.max_texture_px,
                "max_queued_jobs": settings.max_queued_jobs,
            },
            options=_options_out(settings),
            auth_required=bool(settings.token),
            queued_jobs=studio.store.count_queued(),
        )

    @router.post(
        "/jobs",
        status_code=201,
        response_model=JobOut,
        responses=_error_docs(401, 413, 415, 422, 503),
        openapi_extra={"requestBody": _upload_body_schema()},
    )
    async def submit_job(request: Request, response: Response) -> JobOut:
        """Queue a conversion (multipart: `file`, repeated for kinds that take several, plus option fields)."""
        studio = service(request)
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            raise HTTPException(415, "send the picture as multipart/form-data with a 'file' field")
        body_limit = settings.max_upload_bytes + FORM_OVERHEAD_BYTES
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > body_limit:
            raise HTTPException(413, _too_large(settings.max_upload_bytes))
        limited = Request(request.scope, _limited_receive(request.receive, body_limit))
        most = settings.max_files_per_job
        try:
            # A client trickling its upload would hold a connection and a buffer for ever.
            with anyio.fail_after(settings.request_timeout_s):
                # One file more than allowed is parsed, so too many gets our own message.
                async with limited.form(
                    max_files=most + 1, max_fields=32, max_part_size=FIELD_MAX_BYTES
                ) as form:
                    uploads, fields_given = _split_form(form.multi_items())
                    if len(uploads) > most:
                        raise HTTPException(413, f"at most {most} files per job on this server")
                    received: list[tuple[str, bytes]] = []
                    for upload in uploads:
                        room = settings.max_upload_bytes - sum(len(data) for _, data in received)
                        received.append((upload.filename or "", await upload.read(room + 1)))
        except _UploadTooLarge:
            raise HTTPException(413, _too_large(settings.max_upload_bytes)) from None
        except TimeoutError:
            raise HTTPException(
                408, f"the upload did not arrive within {settings.request_timeout_s:g} s"
            ) from None
        if sum(len(data) for _, data in received) > settings.max_upload_bytes:
            raise HTTPException(413, _too_large(settings.max_upload_bytes))
        options = _job_options(settings, studio.generators, fields_given, len(received))
        if studio.store.count_queued() >= settings.max_queued_jobs:  # cheap early answer; add() decides
            raise _queue_full(settings)
        sources = [safe_upload_name(filename) for filename, _ in received]
        suffixes = []
        for (_, data), source in zip(received, sources, strict=True):
            decode = functools.partial(_decode_in_budget, studio, data, source, options["kind"] == "frames")
            suffixes.append(await anyio.to_thread.run_sync(decode, limiter=studio.decode_limiter))
        job_id = uuid.uuid4().hex
        folder = job_dir(settings.jobs_dir, job_id)
        if options["kind"] == "picture":
            stored = {UPLOAD_NAME: received[0][1]}
        else:
            # Numbered in upload order: a folder of frames is read in natural name order.
            stored = {
                f"{INPUTS_DIR}/{index:03d}{suffix}": data
                for index, ((_, data), suffix) in enumerate(zip(received, suffixes, strict=True))
            }
            options = {**options, "inputs": list(stored), "sources": sources}
        await anyio.to_thread.run_sync(_save_upload, folder, stored)
        job = studio.store.add(
            job_id, sources[0], options, owner=_owner(request) or "", max_queued=settings.max_queued_jobs
        )
        if job is None:
            remove_job_files(settings.jobs_dir, job_id)
            raise _queue_full(settings)
        studio.pool.notify()
        response.headers["Location"] = _job_url(job_id)
        return _job_out(studio, job)

    @router.post(
        "/cutout",
        response_model=CutoutOut,
        responses=_error_docs(401, 413, 415, 422),
        openapi_extra={"requestBody": _upload_body_schema()},
    )
    async def cutout(request: Request) -> CutoutOut:
        """The outline of the object `convert` would use (multipart `file`), to check before converting."""
        studio = service(request)
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise HTTPException(415, "send the picture as multipart/form-data with a 'file' field")
        body_limit = settings.max_upload_bytes + FORM_OVERHEAD_BYTES
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > body_limit:
            raise HTTPException(413, _too_large(settings.max_upload_bytes))
        limited = Request(request.scope, _limited_receive(request.receive, body_limit))
        try:
            async with limited.form(max_files=1, max_fields=16, max_part_size=FIELD_MAX_BYTES) as form:
                uploads, _ = _split_form(form.multi_items())
                data = await uploads[0].read(settings.max_upload_bytes + 1)
                filename = uploads[0].filename or ""
        except _UploadTooLarge:
            raise HTTPException(413, _too_large(settings.max_upload_bytes)) from None
        if len(data) > settings.max_upload_bytes:
            raise HTTPException(413, _too_large(settings.max_upload_bytes))
        find = functools.partial(_find_outline, studio, data, safe_upload_name(filename))
        return await anyio.to_thread.run_sync(find, limiter=studio.decode_limiter)

    @router.get("/jobs", response_model=JobList, responses=_error_docs(401, 422))
    def list_jobs(request: Request, limit: int = Query(50, ge=1, le=500)) -> JobList:
        """Recent jobs, newest first."""
        studio = service(request)
        return JobList(jobs=[_job_out(studio, job) for job in studio.store.recent(limit, _owner(request))])

    @router.get("/jobs/{job_id}", response_model=JobOut, responses=_error_docs(401, 404))
    def get_job(request: Request, job_id: str) -> JobOut:
        """Status, progress (0-1 with the stage name), error message and result files of a job."""
        studio = service(request)
        return _job_out(studio, _find_job(studio, job_id, _owner(request)))

    @router.delete("/jobs/{job_id}", status_code=204, responses=_error_docs(401, 404))
    def delete_job(request: Request, job_id: str) -> Response:
        """Forget a job and its files; a running conversion is stopped in the middle of its stage."""
        studio = service(request)
        if not JOB_ID.match(job_id):
            raise HTTPException(404, f"no job {job_id!r}")
        previous = studio.store.mark_deleting(job_id, _owner(request))
        if previous is None:
            raise HTTPException(404, f"no job {job_id!r}")
        if previous == RUNNING:
            studio.pool.cancel(job_id)  # its worker removes the files once it has let go
        else:
            remove_job_files(settings.jobs_dir, job_id)
            studio.store.remove(job_id)
        return Response(status_code=204)

    @router.get(
        "/jobs/{job_id}/files/{name}",
        response_class=FileResponse,
        responses={
            200: {"description": "the file", "content": {"application/octet-stream": {}}},
            **_error_docs(401, 404, 409),
        },
    )
    def download_file(request: Request, job_id: str, name: str) -> FileResponse:
        """One result file; the names are those listed in the job's `files`."""
        studio = service(request)
        job = _find_job(studio, job_id, _owner(request))
        if job.status != DONE:
            raise HTTPException(409, f"job {job_id} is {job.status}; its files appear when it is done")
        # Only names the worker recorded are served, and the path is built from the recorded
        # name, so nothing taken from the request ever reaches the filesystem.
        recorded = next((file for file in job.files if file == name), None)
        if recorded is None or Path(recorded).name != recorded:
            raise HTTPException(404, f"job {job_id} has no file {name!r}")
        path = job_dir(settings.jobs_dir, job.id) / recorded
        if not path.is_file():
            raise HTTPException(404, f"the file {recorded} of job {job_id} is missing on the server")
        media_type = MEDIA_TYPES.get(path.suffix, "application/octet-stream")
        return FileResponse(path, media_type=media_type, filename=download_name(job, recorded))

    return router


def safe_upload_name(filename: str) -> str:
    """A display label for an upload: its base name with only harmless characters.

    It only appears in messages and provenance; no path is ever built from it.
    """
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", filename))[-1]
    cleaned = re.sub(r"[^\w.\- ]", "_", base).strip(" .")[:100]
    return cleaned or "upload"


def _job_options(
    settings: ServerSettings, generators: list[str], fields_given: dict[str, str], file_count: int = 1
) -> dict[str, Any]:
    """Validate the option fields against the kind, the converter and this server's limits."""
    from lift3d.pipelines import pipeline_for, refuse_unused

    try:
        form = JobForm.model_validate(fields_given)
    except ValidationError as error:
        raise OptionError(_validation_message(error.errors())) from None
    pipeline = pipeline_for(form.kind)
    check_files(form.kind, file_count, settings.max_files_per_job)
    given = {name: getattr(form, name) for name in KIND_FIELDS if getattr(form, name) is not None}
    check_kind_fields(form.kind, given)
    check_views_cameras(form.kind, kind_options(form.kind, given), file_count)
    for name, setting in SERVER_CAPS.items():
        value, limit = getattr(form, name), getattr(settings, setting)
        if value > limit:
            raise OptionError(f"{name} is limited to {limit} on this server, got {value}")
    rules = KINDS[form.kind]
    formats = [item.strip().lower() for item in form.formats.split(",") if item.strip()]
    unknown = [item for item in formats if item not in FORMATS]
    if unknown or (form.formats.strip() and not formats):
        raise OptionError(
            f"formats must be a comma-separated list of {', '.join(FORMATS)}; got {form.formats!r}"
        )
    formats = formats or list(rules.default_formats)
    other = [item for item in formats if item not in rules.formats]
    if other:
        raise OptionError(
            f"kind {form.kind} is written as {', '.join(rules.formats)}, not {', '.join(other)}"
        )
    missing = [item for item in formats if item not in available_formats()]
    if missing:
        raise OptionError(
            f"{', '.join(missing)} needs usd-core, which this server lacks: pip install 'lift3d[usd]'"
        )
    extra: dict[str, Any] = {}
    if form.adapters.strip():
        from lift3d.generate.adapters.files import shipped_adapter_specs

        # Only shipped adapter names: a request must never name a file on the server.
        extra["adapters"] = shipped_adapter_specs(form.adapters.strip())
    convert_options = ConvertOptions(
        generator=form.generator,
        max_faces=form.faces,
        texture_px=form.texture_size,
        height_m=form.height,
        seed=form.seed,
        steps=form.steps,
        variants=form.variants,
        **extra,
    )
    refuse_unused(form.kind, convert_options, FORM_NAMES)
    if "generator" in pipeline.uses:  # carving and hulls imagine nothing: no generator to pick
        convert_options = convert_options.resolved()
        if convert_options.generator not in generators:
            raise OptionError(
                f"generator {convert_options.generator!r} is not available on this server "
                "(its weights are not installed)"
            )
    return {
        "convert": asdict(convert_options),
        "formats": sorted(set(formats), key=FORMATS.index),
        "kind": form.kind,
        "kind_fields": given,
    }


def available_formats() -> list[str]:
    """The formats this installation can write: usdz only with usd-core."""
    import importlib.util

    return [name for name in FORMATS if name != "usdz" or importlib.util.find_spec("pxr") is not None]


def _kinds_out(settings: ServerSettings) -> dict[str, KindOut]:
    """Each kind's files, fields and formats, the shared fields taken from what its pipeline uses."""
    from lift3d.pipelines import PIPELINES

    form_fields = [name for name in JobForm.model_fields if name not in KIND_FIELDS and name != "kind"]
    inverse = {value: key for key, value in FORM_NAMES.items()}
    out = {}
    for kind, rules in KINDS.items():
        uses = PIPELINES[kind].uses
        shared = [name for name in form_fields if name == "formats" or inverse.get(name, name) in uses]
        out[kind] = KindOut(
            files=rules.files_help,
            min_files=rules.min_files,
            max_files=min(rules.max_files or settings.max_files_per_job, settings.max_files_per_job),
            fields=shared + list(rules.fields),
            formats=[name for name in rules.formats if name in available_formats()],
            default_formats=list(rules.default_formats),
        )
    return out


def _options_out(settings: ServerSettings) -> dict[str, OptionOut]:
    """Each form field's default and range: ConvertOptions' and OPTION_RANGES', a kind's own
    options' for its fields, lowered to this server's caps."""
    inverse = {value: key for key, value in FORM_NAMES.items()}
    defaults = kind_defaults()
    out = {}
    for name, form_field in JobForm.model_fields.items():
        if name == "kind":
            continue
        low = high = None
        for bound in form_field.metadata:
            low, high = getattr(bound, "ge", low), getattr(bound, "le", high)
        option = inverse.get(name, name)
        if option in OPTION_RANGES:
            low, high = OPTION_RANGES[option]
        if name in SERVER_CAPS:
            cap = getattr(settings, SERVER_CAPS[name])
            high = cap if high is None else min(high, cap)
        out[name] = OptionOut(
            default=defaults.get(name, form_field.default),
            minimum=low,
            maximum=high,
            help=form_field.description or "",
        )
    return out


def _split_form(items: list[tuple[str, str | UploadFile]]) -> tuple[list[UploadFile], dict[str, str]]:
    uploads: list[UploadFile] = []
    given: dict[str, str] = {}
    for key, value in items:
        if key == "file":
            if not isinstance(value, UploadFile):
                raise OptionError("the 'file' field must be a file upload, not text")
            uploads.append(value)
        elif isinstance(value, UploadFile):
            raise OptionError(f"only the 'file' field may be a file, got a file in {key!r}")
        elif key in given:
            raise OptionError(f"the field {key!r} is given twice")
        else:
            given[key] = value
    if not uploads:
        raise OptionError("no picture: send it in a 'file' field")
    return uploads, given


def _decode_in_budget(studio: StudioService, data: bytes, source: str, every_frame: bool = False) -> str:
    """Decode the upload to refuse a bad picture now; return the file suffix its format takes.

    `every_frame`: the job reads every frame of an animation, so they count against the pixel limit.
    """
    from PIL import Image

    with studio.decode_budget.reserve(data):
        read_picture_bytes(data, source, max_pixels=studio.settings.max_pixels)
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            frames = int(getattr(image, "n_frames", 1))
            suffix = SUFFIXES.get(image.format or "", ".tif")
    except Exception:  # decoded above, so a TIFF only tifffile reads
        return ".tif"
    # Only the first frame of an animation was decoded above; frames jobs read them all.
    if every_frame and width * height * frames > studio.settings.max_pixels:
        raise InputError(
            f"cannot read {source}: {frames} frames of {width}x{height} exceed the "
            f"{studio.settings.max_pixels:,} pixels allowed on this server"
        )
    return suffix


def _find_outline(studio: StudioService, data: bytes, source: str) -> CutoutOut:
    import cv2

    from lift3d.inputs.detect import locate_object

    with studio.decode_budget.reserve(data):
        picture = read_picture_bytes(data, source, max_pixels=studio.settings.max_pixels)
    found = locate_object(picture)
    height, width = found.mask.shape
    contours, _ = cv2.findContours(found.mask.astype("uint8"), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    tolerance = max(1.0, 0.002 * max(height, width))
    outlines = [cv2.approxPolyDP(contour, tolerance, True)[:, 0, :].tolist() for contour in contours]
    return CutoutOut(
        kind=found.kind, width=width, height=height, object_share=float(found.mask.mean()), outlines=outlines
    )


def _save_upload(folder: Path, files: dict[str, bytes]) -> None:
    """Store the uploads under names the server chose (never the client's)."""
    try:
        folder.mkdir(parents=True)
        for name in files:
            (folder / name).parent.mkdir(exist_ok=True)
    except OSError as error:
        raise Lift3DError(f"cannot store the upload: {error.strerror}") from None
    for name, data in files.items():
        write_bytes_atomic(folder / name, data)


def _find_job(studio: StudioService, job_id: str, owner: str | None) -> Job:
    """The job, if it exists and (on a server with tokens) belongs to the caller; else 404, never 403."""
    job = studio.store.get(job_id, owner) if JOB_ID.match(job_id) else None
    if job is None:
        raise HTTPException(404, f"no job {job_id!r}")
    return job


def _owner(request: Request) -> str | None:
    """Whose jobs this request may see: its token's hash, or None (everything) without tokens."""
    return getattr(request.state, "owner", None)


def _queue_full(settings: ServerSettings) -> HTTPException:
    return HTTPException(
        503,
        f"the queue is full ({settings.max_queued_jobs} jobs waiting); try again later",
        headers={"Retry-After": "30"},
    )


def _job_url(job_id: str) -> str:
    return f"/api/jobs/{job_id}"


def _job_out(studio: StudioService, job: Job) -> JobOut:
    folder = job_dir(studio.settings.jobs_dir, job.id)
    files = []
    if job.status == DONE:
        for name in job.files:
            path = folder / name
            size = path.stat().st_size if path.is_file() else 0
            kind, variant = _describe_file(name)
            files.append(
                FileOut(
                    name=name,
                    kind=kind,
                    variant=variant,
                    download_name=download_name(job, name),
                    bytes=size,
                    url=f"{_job_url(job.id)}/files/{name}",
                )
            )
    return JobOut(
        id=job.id,
        status=job.status,  # type: ignore[arg-type]
        progress=job.progress,
        stage=job.stage,
        error=job.error,
        source=job.source,
        kind=job.options.get("kind", "picture"),
        options=job.options,
        queue_position=studio.store.queue_position(job) if job.status == "queued" else None,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        files=files,
        url=_job_url(job.id),
    )


def _describe_file(name: str) -> tuple[str, int | None]:
    """What a result file is, and which variant it belongs to, from the name the worker gave it."""
    match = re.match(r"^model_(\d+)(.*)$", name)
    if match is None:
        return ("preview" if name == "preview.png" else "other"), None
    variant, rest = int(match.group(1)), match.group(2)
    if rest.startswith("_frame_"):
        return "frame", variant
    kinds = {"_obj.zip": "obj.zip", ".png": "texture", ".lift3d.json": "provenance"}
    return kinds.get(rest, rest.lstrip(".")), variant


def _too_large(limit: int) -> str:
    return f"the upload is larger than the {limit / (1024 * 1024):g} MB limit"


def _limited_receive(receive: Receive, limit: int) -> Receive:
    """Pass the body through, raising once more than `limit` bytes came in (chunked uploads too)."""
    received = 0

    async def limited() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _UploadTooLarge
        return message

    return limited


def token_owner(token: str) -> str:
    """The owner recorded on a job: a hash of its token, so the database never holds a token."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def _bearer_check(tokens: tuple[str, ...]) -> Callable[..., None]:
    bearer = HTTPBearer(auto_error=False, description="the server's --token")
    expected = [(token.encode(), token_owner(token)) for token in tokens]

    # A plain default, not Annotated: the string annotations of this module cannot see `bearer`.
    def check(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),  # noqa: B008
    ) -> None:
        given = credentials.credentials.encode() if credentials else b""
        owner = None
        for token, token_hash in expected:  # every token compared, in constant time each
            if hmac.compare_digest(given, token):
                owner = token_hash
        request.state.owner = owner
        if owner is None:
            raise HTTPException(
                401,
                "a bearer token is required: send 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return check


def _validation_message(errors: Any) -> str:
    parts = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        message = error.get("msg", "invalid value")
        if error.get("type") == "extra_forbidden":
            message = "unknown field"
        parts.append(f"{'.'.join(location)}: {message}" if location else message)
    return "; ".join(parts)


def _add_error_handlers(app: FastAPI) -> None:
    """Every error is a JSON body {"error": "..."} with one readable line."""

    async def http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        return JSONResponse(
            {"error": str(error.detail)}, status_code=error.status_code, headers=error.headers
        )

    async def validation_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return JSONResponse({"error": _validation_message(error.errors())}, status_code=422)

    async def user_error(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"error": str(error)}, status_code=422)

    async def server_error(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
        return JSONResponse({"error": "internal server error"}, status_code=500)

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Lift3DError, user_error)
    app.add_exception_handler(Exception, server_error)


def _upload_body_schema() -> dict[str, Any]:
    schema = JobForm.model_json_schema()
    schema.pop("title", None)
    schema.pop("description", None)
    schema.pop("additionalProperties", None)
    schema["properties"] = {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "the picture: PNG, JPEG, WebP or TIFF; repeat the field for a kind that takes "
            "several (views, frames, ortho's front, side and top), in order",
        },
        **schema["properties"],
    }
    schema["required"] = ["file"]
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


def _studio_page(name: str) -> tuple[str, str]:
    """A page of the studio and a Content-Security-Policy allowing only its own inline blocks."""
    page = (STATIC_DIR / name).read_text(encoding="utf-8")
    hashes = {
        tag: " ".join(
            f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
            for body in re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", page, flags=re.DOTALL)
            if body.strip()
        )
        for tag in ("script", "style")
    }
    policy = (
        f"default-src 'self'; script-src 'self' {hashes['script']}; style-src 'self' {hashes['style']}; "
        "img-src 'self' blob: data:; connect-src 'self' blob: data:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'none'"
    )
    return page, policy


class _SecurityHeaders:
    """Headers every response gets: no MIME sniffing, no framing, no referrer leaks."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _HostAndOriginCheck:
    """Refuse requests whose Host or Origin is not this server's.

    A foreign Host header is how DNS rebinding reaches a localhost server from a web page;
    a foreign Origin is a page on another site submitting or deleting jobs in the user's
    browser (cross-site request forgery). Both answer with one-line JSON errors.
    """

    def __init__(self, app: ASGIApp, settings: ServerSettings) -> None:
        self.app = app
        self.any_host = "*" in settings.allowed_hosts
        self.hosts = set(settings.allowed_hosts)
        self.origins = set(settings.allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        host = headers.get("host", "")
        if not self.any_host and _host_name(host) not in self.hosts:
            await _refuse(send, 400, f"this server does not answer to the host {host[:100]!r}")
            return
        origin = headers.get("origin")
        if origin is not None and not self._origin_allowed(origin.strip().rstrip("/").lower()):
            await _refuse(send, 403, f"requests from the web page at {origin[:100]!r} are not allowed")
            return
        await self.app(scope, receive, send)

    def _origin_allowed(self, origin: str) -> bool:
        if origin in self.origins:
            return True
        scheme, _, rest = origin.partition("://")
        if scheme not in ("http", "https") or not rest or "/" in rest:
            return False  # "null" (a sandboxed frame, a file: page) and anything malformed
        return self.any_host or _host_name(rest) in self.hosts


def _host_name(host: str) -> str:
    """'Example.org:8000' -> 'example.org'; '[::1]:8000' -> '::1'."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
