"""Pictures that are not floor plans, and bad options, fail with one clear line."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from lift3d.errors import InputError, OptionError, OutputError
from lift3d.pipelines.plan import convert_plan_file, save_plan
from lift3d.reconstruct.plan import PlanOptions, convert_plan
from lift3d.types import Picture


def photo_of_a_blob(seed: int = 0) -> Picture:
    """A red blob on a shaded, noisy, slightly blurred backdrop: a product photo, not a plan."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:480, 0:640]
    rgb = np.stack([0.55 + 0.2 * rows / 480, 0.6 + 0.1 * cols / 640, 0.7 - 0.1 * rows / 480], axis=-1)
    blob = ((cols - 320) / 180) ** 2 + ((rows - 240) / 130) ** 2 < 1
    rgb[blob] = (0.8, 0.15, 0.1)
    rgb = cv2.GaussianBlur((rgb + rng.normal(0, 0.03, rgb.shape)).astype(np.float32), (0, 0), 1.5)
    return Picture(rgb=np.clip(rgb, 0, 1), alpha=None, source="mug.jpg")


def test_a_photo_is_not_a_plan() -> None:
    with pytest.raises(InputError, match=r"no walls found in mug\.jpg: is it a floor plan\?"):
        convert_plan(photo_of_a_blob())


@pytest.mark.parametrize("paper", [1.0, 0.93])
def test_a_blank_page_is_not_a_plan(paper: float) -> None:
    rng = np.random.default_rng(1)
    rgb = np.clip(paper + rng.normal(0, 0.01, (400, 500, 3)), 0, 1).astype(np.float32)
    with pytest.raises(
        InputError, match=r"no walls found in page\.png: is it a floor plan\? \(the picture is blank\)"
    ):
        convert_plan(Picture(rgb=rgb, alpha=None, source="page.png"))


def test_text_alone_is_not_a_plan() -> None:
    page = np.full((400, 600, 3), 255, dtype=np.uint8)
    for row, line in enumerate(("GROUND FLOOR", "Scale 1:100", "Drawing no. 12 - rev B")):
        cv2.putText(
            page, line, (40, 100 + 80 * row), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (0, 0, 0), 2, cv2.LINE_AA
        )
    with pytest.raises(InputError, match="is it a floor plan"):
        convert_plan(Picture(rgb=page.astype(np.float32) / 255, alpha=None, source="title.png"))


def test_walls_that_enclose_nothing_are_not_a_plan() -> None:
    rgb = np.ones((400, 600, 3), dtype=np.float32)
    rgb[100:110, 50:550] = 0  # two parallel walls, open at both ends
    rgb[300:310, 50:550] = 0
    with pytest.raises(InputError, match="no rooms found in corridor.png"):
        convert_plan(Picture(rgb=rgb, alpha=None, source="corridor.png"))


def test_a_missing_file_names_the_file(tmp_path) -> None:
    with pytest.raises(InputError, match="no_such_plan.png"):
        convert_plan_file(tmp_path / "no_such_plan.png")


@pytest.mark.parametrize(
    "options",
    [
        {"scale_m_per_px": 0.01, "wall_length_m": 10.0},
        {"scale_m_per_px": -0.01},
        {"wall_length_m": 0.0},
        {"wall_height_m": 0.1},
        {"wall_height_m": 2.0},  # lower than the default door height
        {"window_sill_m": 1.5, "window_top_m": 1.2},
        {"min_room_area_m2": -1.0},
    ],
)
def test_bad_options_are_refused(options: dict) -> None:
    with pytest.raises(OptionError):
        PlanOptions(**options)


def test_only_glb_is_written(tmp_path, heldout) -> None:
    with pytest.raises(OutputError, match=r"\.glb"):
        save_plan(heldout[0].result, tmp_path / "house.obj")
    with pytest.raises(OutputError):
        save_plan(heldout[0].result, tmp_path / "missing_folder" / "house.glb")
    assert not list(tmp_path.iterdir())
