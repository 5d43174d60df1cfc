"""Hostile animations and frame folders (`--kind frames`): one-line refusals, bounded decoded memory."""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from lift3d.errors import InputError
from lift3d.inputs.sheets import read_frames


def disc(side_px: int, offset_px: int = 0) -> Image.Image:
    """A palette picture: a red disc on a transparent background."""
    image = Image.new("P", (side_px, side_px), 0)
    image.putpalette([0, 0, 0, 200, 60, 40] + [0] * 762)
    margin = side_px // 5
    ImageDraw.Draw(image).ellipse(
        (margin + offset_px, margin, side_px - margin + offset_px, side_px - margin), fill=1
    )
    return image


def animated_gif(path: Path, count: int, side_px: int) -> Path:
    frames = [disc(side_px, index % 5) for index in range(count)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=40, transparency=0, disposal=2)
    return path


def gif_with_screen(path: Path, width: int, height: int) -> Path:
    """A two-frame GIF whose logical screen claims width x height around 16 x 16 frames."""
    stream = io.BytesIO()
    disc(16).save(stream, format="GIF", save_all=True, append_images=[disc(16, 2)], duration=40)
    data = bytearray(stream.getvalue())
    data[6:10] = struct.pack("<HH", width, height)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("side_px", [65535, 10_000])
def test_a_gif_declaring_a_huge_screen_is_one_input_error_as_frames(tmp_path: Path, side_px: int) -> None:
    """Probe case "GIF 65535x65535 screen, --kind frames": Pillow's bomb error escaped as a traceback,
    and at 10000 x 10000 its bomb warning reached stderr before the one-line error."""
    path = gif_with_screen(tmp_path / "screen.gif", side_px, side_px)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would be a second line on stderr
        with pytest.raises(InputError, match="screen.gif") as raised:
            read_frames(path)
    assert "\n" not in str(raised.value)


def test_animation_frames_share_a_pixel_budget(tmp_path: Path) -> None:
    """Probe case "GIF of 250 transparent 690x690 frames": a 630 KB GIF decoded to 3.4 GB, every frame
    kept at full size as float RGBA (the alpha a view holding all four channels alive)."""
    path = animated_gif(tmp_path / "walk.gif", count=20, side_px=160)
    frames = read_frames(path, budget_px=20 * 80 * 80)
    assert len(frames) == 20
    assert sum(frame.rgb.shape[0] * frame.rgb.shape[1] for frame in frames) <= 20 * 80 * 80
    for frame in frames:
        assert frame.alpha is not None and frame.alpha.flags.owndata  # not a view of a bigger array
        assert frame.alpha.shape == frame.rgb.shape[:2]
    # Shrunk, the frames still show the disc moving on its transparent background.
    assert frames[0].alpha[40, 40] > 0.9 and frames[0].alpha[2, 2] < 0.1
    assert not np.array_equal(frames[0].alpha, frames[1].alpha)


def test_an_animation_with_too_many_frames_is_refused_before_decoding_them(tmp_path: Path) -> None:
    path = animated_gif(tmp_path / "long.gif", count=12, side_px=16)
    with pytest.raises(InputError, match="12 frames, more than the 10 allowed"):
        read_frames(path, max_frames=10)


def test_a_folder_of_frames_is_counted_before_decoding_and_shares_the_budget(tmp_path: Path) -> None:
    """Probe case "folder of 300 pictures of 2048 px": every picture was decoded at up to 2048 px
    (about 50 MB each) before the frame count was checked, and 200 of them were all kept."""
    folder = tmp_path / "walk"
    folder.mkdir()
    # The first file in name order would fail to decode: the count must be refused before it is read.
    (folder / "f00.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    for index in range(1, 12):
        disc(160, index % 5).save(folder / f"f{index:02d}.png", transparency=0)
    with pytest.raises(InputError, match="12 frames, more than the 10 allowed"):
        read_frames(folder, max_frames=10)
    (folder / "f00.png").unlink()
    frames = read_frames(folder, budget_px=11 * 80 * 80)
    assert len(frames) == 11
    assert sum(frame.rgb.shape[0] * frame.rgb.shape[1] for frame in frames) <= 11 * 80 * 80
    assert frames[0].alpha is not None and frames[0].alpha[40, 40] > 0.9
