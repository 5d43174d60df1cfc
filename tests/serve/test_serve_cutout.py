"""POST /api/cutout: the outline `convert` would use, so a user sees a bad cutout before waiting for a mesh."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

pytest.importorskip("httpx", reason="the TestClient needs httpx")

from tests.inputs.input_pictures import iou, photographed_drawing  # noqa: E402


def test_cutout_returns_the_outline_and_kind_of_a_photographed_drawing(client) -> None:
    rgb, truth = photographed_drawing()
    buffer = io.BytesIO()
    Image.fromarray(np.round(rgb * 255).astype(np.uint8)).save(buffer, format="PNG")
    response = client.post("/api/cutout", files={"file": ("page.png", buffer.getvalue(), "image/png")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "sketch" and (body["width"], body["height"]) == (600, 520)
    drawn = np.zeros((520, 600), np.uint8)
    cv2.fillPoly(drawn, [np.array(outline, np.int32) for outline in body["outlines"]], 1)
    assert iou(drawn > 0, truth) > 0.85


def test_cutout_of_something_that_is_not_a_picture_is_one_message(client) -> None:
    response = client.post("/api/cutout", files={"file": ("notes.png", b"hello", "image/png")})
    assert response.status_code == 422
    assert "text file" in response.json()["error"]
