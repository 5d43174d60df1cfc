"""Live drawing: `POST /api/preview` turns the canvas into a quick 3D preview (GLB bytes).

The canvas posts its PNG after each stroke, so the body is the picture itself (no form),
size-capped while it streams in and decoded inside the server's decode budget. One preview
runs at a time: the converter is shared and attaching an adapter changes it. The full asset
is an ordinary job ("Make 3D").
"""

from __future__ import annotations

import threading

import anyio
from fastapi import APIRouter, HTTPException, Request, Response

from lift3d.api import ConvertOptions, load_converter
from lift3d.inputs.read import read_picture_bytes
from lift3d.serve.service import StudioService
from lift3d.serve.settings import ServerSettings

GLB_TYPE = "model/gltf-binary"


def draw_router(settings: ServerSettings) -> APIRouter:
    router = APIRouter()
    one_at_a_time = threading.Lock()

    def preview_glb(studio: StudioService, data: bytes) -> bytes:
        from lift3d.pipelines.quick import quick_glb, quick_mesh

        with studio.decode_budget.reserve(data):
            picture = read_picture_bytes(data, "canvas.png", max_pixels=settings.max_pixels)
        with one_at_a_time:
            converter = load_converter(ConvertOptions().resolved().generator)
            return quick_glb(quick_mesh(converter, picture))

    @router.post(
        "/preview",
        response_class=Response,
        responses={200: {"content": {GLB_TYPE: {}}, "description": "the preview as GLB (vertex colours)"}},
    )
    async def preview(request: Request) -> Response:
        """A quick 3D preview of a drawing (the body is the picture: PNG, JPEG or WebP), as GLB."""
        studio: StudioService = request.app.state.service
        data = await read_body(request, settings.max_upload_bytes)
        glb = await anyio.to_thread.run_sync(preview_glb, studio, data, limiter=studio.decode_limiter)
        return Response(glb, media_type=GLB_TYPE, headers={"Cache-Control": "no-store"})

    return router


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit` bytes (and 400 when empty)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"the picture is larger than {limit // (1024 * 1024)} MB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"the picture is larger than {limit // (1024 * 1024)} MB")
        chunks.append(chunk)
    if not size:
        raise HTTPException(400, "send the drawing as the request body (a PNG, JPEG or WebP picture)")
    return b"".join(chunks)
