"""Finding the object: from alpha, from photos on light and dark backdrops, and refusing empty pictures."""

from __future__ import annotations

import numpy as np
import pytest
from input_pictures import disk_alpha, iou, synthetic_photo

from lift3d.errors import InputError
from lift3d.inputs import find_object
from lift3d.types import Picture


def test_alpha_becomes_the_mask() -> None:
    alpha = disk_alpha(100, 140, 25)
    rgb = np.full((100, 140, 3), 0.3, np.float32)
    mask = find_object(Picture(rgb=rgb, alpha=alpha, source="cut.png"))
    assert mask.dtype == bool and mask.shape == (100, 140)
    assert np.array_equal(mask, alpha >= 0.5)


def test_alpha_specks_are_dropped_and_real_holes_kept() -> None:
    alpha = disk_alpha(120, 120, 40)
    alpha[disk_alpha(120, 120, 15) > 0] = 0.0  # a ring: the hole is a fifth of the object
    alpha[5, 5] = 1.0  # a stray opaque pixel
    mask = find_object(Picture(rgb=np.zeros((120, 120, 3), np.float32), alpha=alpha, source="ring.png"))
    assert not mask[5, 5]
    assert not mask[60, 60]
    assert mask[60, 60 + 30]


def test_opaque_alpha_falls_back_to_colours() -> None:
    rgb, truth = synthetic_photo(seed=1)
    picture = Picture(rgb=rgb, alpha=np.ones(truth.shape, np.float32), source="opaque.png")
    assert iou(find_object(picture), truth) >= 0.9


@pytest.mark.parametrize(
    ("backdrop", "colour", "shape"),
    [
        ((0.85, 0.85, 0.87), (0.8, 0.2, 0.15), "ellipse"),
        ((0.9, 0.88, 0.84), (0.15, 0.3, 0.75), "box"),
        ((0.85, 0.85, 0.87), (0.12, 0.12, 0.12), "ellipse"),
        ((0.07, 0.07, 0.09), (0.9, 0.75, 0.2), "box"),
        ((0.08, 0.08, 0.08), (0.2, 0.8, 0.4), "ellipse"),
    ],
    ids=["red-on-light", "blue-box-on-warm", "black-on-light", "yellow-box-on-dark", "green-on-dark"],
)
def test_photo_on_a_plain_backdrop_is_segmented(backdrop, colour, shape) -> None:
    rgb, truth = synthetic_photo(backdrop=backdrop, colour=colour, shape=shape, seed=3)
    mask = find_object(Picture(rgb=rgb, alpha=None, source="photo.jpg"))
    assert iou(mask, truth) >= 0.9


def test_large_photo_is_segmented_at_working_size() -> None:
    rgb, truth = synthetic_photo(height=900, width=1200, seed=5)
    mask = find_object(Picture(rgb=rgb, alpha=None, source="big.jpg"))
    assert mask.shape == truth.shape
    assert iou(mask, truth) >= 0.9


def test_object_touching_the_border_is_still_found() -> None:
    rgb, truth = synthetic_photo(seed=7)
    rgb = np.ascontiguousarray(rgb[:, 180:])  # the ellipse now runs off the left edge
    truth = truth[:, 180:]
    assert iou(find_object(Picture(rgb=rgb, alpha=None, source="edge.jpg")), truth) >= 0.9


def test_tiny_picture() -> None:
    rgb, truth = synthetic_photo(height=20, width=20, seed=2)
    mask = find_object(Picture(rgb=rgb, alpha=None, source="tiny.png"))
    assert iou(mask, truth) >= 0.7


def assert_no_object(picture: Picture, *words: str) -> None:
    with pytest.raises(InputError) as raised:
        find_object(picture)
    message = str(raised.value)
    assert picture.source in message and "no object found" in message and "\n" not in message
    for word in words:
        assert word in message


def test_blank_white_picture() -> None:
    rgb = np.ones((80, 100, 3), np.float32)
    assert_no_object(Picture(rgb=rgb, alpha=None, source="white.png"), "blank")


def test_blank_noisy_grey_picture() -> None:
    rgb = np.clip(0.5 + np.random.default_rng(0).normal(0, 0.01, (80, 100, 3)), 0, 1).astype(np.float32)
    assert_no_object(Picture(rgb=rgb, alpha=None, source="grey.jpg"), "blank")


def test_gradient_without_object() -> None:
    rows, cols = np.mgrid[0:80, 0:100]
    rgb = np.repeat((0.3 + 0.5 * cols / 100 + 0.1 * rows / 80)[..., None], 3, axis=2).astype(np.float32)
    assert_no_object(Picture(rgb=rgb, alpha=None, source="sky.png"), "nothing stands out")


def test_fully_transparent_picture() -> None:
    empty = np.zeros((50, 50), np.float32)
    picture = Picture(rgb=np.zeros((50, 50, 3), np.float32), alpha=empty, source="a.png")
    assert_no_object(picture, "fully transparent")


def test_object_too_small() -> None:
    alpha = np.zeros((200, 200), np.float32)
    alpha[100:103, 100:103] = 1.0  # 9 pixels of 40000
    picture = Picture(rgb=np.zeros((200, 200, 3), np.float32), alpha=alpha, source="speck.png")
    assert_no_object(picture, "too small")


def test_photo_keeps_a_real_hole_and_fills_glare() -> None:
    rows, cols = np.mgrid[0:240, 0:320]
    radius = np.hypot(rows - 120, cols - 160)
    ring = (radius <= 90) & (radius >= 40)  # a hole like a mug handle's: a quarter of the object
    glare = np.hypot(rows - 120, cols - 225) <= 4  # backdrop-coloured spot on the ring
    rgb = np.full((240, 320, 3), 0.88, np.float32)
    rgb[ring & ~glare] = (0.2, 0.5, 0.3)
    rgb += np.random.default_rng(0).normal(0, 0.01, rgb.shape).astype(np.float32)
    mask = find_object(Picture(rgb=np.clip(rgb, 0, 1), alpha=None, source="ring.jpg"))
    assert not mask[120, 160]
    assert mask[120, 225]
    assert iou(mask, ring) >= 0.9


def test_a_grey_ball_is_found_whole_and_its_soft_shadow_is_not() -> None:
    """The lit middle of a grey ball is no darker than a shadow, but the ball encloses it."""
    rgb, truth = synthetic_photo(colour=(0.6, 0.6, 0.62), seed=3)
    mask = find_object(Picture(rgb=rgb, alpha=None, source="grey-ball.jpg"))
    assert iou(mask, truth) >= 0.95
