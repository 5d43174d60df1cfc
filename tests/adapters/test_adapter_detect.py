"""Input-kind detection: line drawings (rendered and hand-drawn) are sketches; photos and renders are not."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from lift3d.data.synth import generate_sample
from lift3d.evaluate.heldout import photo_picture, rendered_picture
from lift3d.inputs.detect import detect_kind, sketch_mask
from lift3d.training.adapter_data import synthetic_view
from lift3d.types import Picture


def as_picture(image: Image.Image) -> Picture:
    return Picture(rgb=np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0, alpha=None, source="drawn")


def hand_drawing(gap: bool = False) -> tuple[Picture, np.ndarray]:
    """A wobbly pen drawing of a disc on a block, optionally with a gap in the outline; and its true mask."""
    image = Image.new("RGB", (256, 256), "white")
    draw = ImageDraw.Draw(image)
    rng = np.random.default_rng(0)
    gap_px = 7.0 if gap else 0.0  # an unclosed stroke, as hands leave them
    angles = np.linspace(0, 2 * np.pi - gap_px / 70, 80)
    radius = 70 + rng.normal(0, 0.8, len(angles))
    points = [(128 + r * np.cos(a), 100 + r * np.sin(a)) for r, a in zip(radius, angles, strict=True)]
    draw.line(points, fill=(30, 30, 30), width=2)
    draw.rectangle((78, 160, 178, 230), outline=(20, 20, 20), width=2)
    draw.line([(90, 200), (160, 200)], fill=(40, 40, 40), width=1)  # a crease
    truth = Image.new("L", (256, 256), 0)
    truth_draw = ImageDraw.Draw(truth)
    truth_draw.ellipse((58, 30, 198, 170), fill=255)
    truth_draw.rectangle((78, 160, 178, 230), fill=255)
    return as_picture(image), np.asarray(truth) > 127


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


@pytest.mark.parametrize("seed", [1, 3, 5])
def test_rendered_sketches_are_sketches_and_their_outline_fills(seed):
    view, _ = synthetic_view(seed, "sketch")
    picture = Picture(rgb=view.picture, alpha=None, source="sketch")
    assert detect_kind(picture) == "sketch"
    assert iou(sketch_mask(picture), view.coverage > 0.5) > 0.9


@pytest.mark.parametrize("gap", [False, True])
def test_hand_drawn_lines_are_a_sketch_with_a_filled_mask(gap):
    picture, truth = hand_drawing(gap)
    assert detect_kind(picture) == "sketch"
    assert iou(sketch_mask(picture), truth) > 0.9


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_photos_renders_and_cel_shading_are_not_sketches(seed):
    sample = generate_sample(seed)
    assert detect_kind(photo_picture(sample)) == "photo"
    assert detect_kind(rendered_picture(sample)) == "render"
    toon, _ = synthetic_view(seed, "toon")
    assert detect_kind(Picture(rgb=toon.picture, alpha=None, source="toon")) != "sketch"


def test_a_dark_filled_silhouette_on_white_is_not_a_sketch():
    image = Image.new("RGB", (200, 200), "white")
    ImageDraw.Draw(image).ellipse((50, 50, 150, 150), fill=(25, 25, 25))
    assert detect_kind(as_picture(image)) == "photo"
