"""Fuzzing the other readers with hypothesis: technical sheets, sprite sheets, grids and floor plans.

Whatever the drawing, each answers with a result or one Lift3DError line, never another exception.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from tests.fuzz_settings import fuzz

from lift3d.errors import Lift3DError
from lift3d.inputs.sheets import parse_grid, split_ortho_sheet, split_sprite_sheet
from lift3d.types import Picture

FUZZ = fuzz(25)


@st.composite
def drawings(draw: st.DrawFn, max_side_px: int = 64) -> Picture:
    """Black rectangles and noise on white: blobs, lines, nothing, or everything."""
    height = draw(st.integers(8, max_side_px))
    width = draw(st.integers(8, max_side_px))
    ink = np.zeros((height, width), bool)
    for _ in range(draw(st.integers(0, 6))):
        top, left = draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1))
        ink[top : top + draw(st.integers(1, height)), left : left + draw(st.integers(1, width))] = True
    if draw(st.booleans()):
        rng = np.random.default_rng(draw(st.integers(0, 2**16)))
        ink ^= rng.random((height, width)) < draw(st.floats(0, 0.5))
    rgb = np.repeat(np.where(ink, 0.0, 1.0)[..., None], 3, axis=2).astype(np.float32)
    return Picture(rgb=rgb, alpha=None, source="fuzz")


def one_line(error: Lift3DError) -> None:
    assert str(error) and "\n" not in str(error)


@FUZZ
@given(picture=drawings(), projection=st.sampled_from(["auto", "third-angle", "first-angle"]))
def test_ortho_sheets(picture: Picture, projection: str) -> None:
    try:
        split_ortho_sheet(picture, projection)
    except Lift3DError as error:
        one_line(error)


@FUZZ
@given(picture=drawings(), grid=st.one_of(st.none(), st.tuples(st.integers(1, 6), st.integers(1, 6))))
def test_sprite_sheets(picture: Picture, grid: tuple[int, int] | None) -> None:
    try:
        frames = split_sprite_sheet(picture, grid)
    except Lift3DError as error:
        one_line(error)
    else:
        assert all(frame.rgb.ndim == 3 for frame in frames)


@fuzz(60)
@given(text=st.text(max_size=30))
def test_grid_text(text: str) -> None:
    try:
        columns, rows = parse_grid(text)
    except Lift3DError as error:
        one_line(error)
    else:
        assert 1 <= columns <= 256 and 1 <= rows <= 256


@fuzz(12)
@given(picture=drawings(max_side_px=96))
def test_floor_plans(picture: Picture) -> None:
    from lift3d.reconstruct.plan import convert_plan

    try:
        convert_plan(picture)
    except Lift3DError as error:
        one_line(error)
