"""Drawings found as drawings: clean lines of any width, gapped outlines, a page photographed on a table."""

from __future__ import annotations

import numpy as np
import pytest
from tests.inputs.input_pictures import drawn_figure, iou, photographed_drawing, white_on_white

from lift3d.inputs.detect import detect_kind, locate_object, sketch_mask
from lift3d.types import Picture


def grey_picture(grey: np.ndarray) -> Picture:
    return Picture(rgb=np.repeat(grey[..., None], 3, axis=2), alpha=None, source="drawing")


@pytest.mark.parametrize("stroke_px", [1, 3, 6])
@pytest.mark.parametrize("gaps", [0, 3])
def test_line_drawings_of_any_stroke_width_fill_their_outline(stroke_px: int, gaps: int) -> None:
    grey, truth = drawn_figure(256, stroke_px=stroke_px, gaps=gaps)
    found = locate_object(grey_picture(grey))
    assert found.kind == "sketch"
    assert iou(found.mask, truth) > 0.93  # interior lines and hatching stay inside, gaps are closed


def test_a_drawing_photographed_on_a_table_is_a_sketch_without_paper_or_table() -> None:
    rgb, truth = photographed_drawing()
    picture = Picture(rgb=rgb, alpha=None, source="page photo")
    found = locate_object(picture)
    assert found.kind == "sketch" == detect_kind(picture)
    assert iou(found.mask, truth) > 0.9
    assert iou(sketch_mask(picture), truth) > 0.9


def test_a_coloured_in_drawing_on_a_table_is_found_whole() -> None:
    rgb, truth = photographed_drawing(seed=1, coloured=True)
    found = locate_object(Picture(rgb=rgb, alpha=None, source="coloured page"))
    assert iou(found.mask, truth) > 0.9


def test_a_white_object_on_white_is_a_photo() -> None:
    rgb, _ = white_on_white()
    assert locate_object(Picture(rgb=rgb, alpha=None, source="white box")).kind == "photo"


def test_a_white_object_on_white_is_found_whole() -> None:
    rgb, truth = white_on_white()
    assert iou(locate_object(Picture(rgb=rgb, alpha=None, source="white box")).mask, truth) > 0.9


def test_a_blank_page_has_no_drawing() -> None:
    picture = grey_picture(np.full((128, 128), 0.95, np.float32))
    assert detect_kind(picture) == "photo"
