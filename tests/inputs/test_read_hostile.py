"""Hostile and careless picture files: memory bombs by sample count, link loops, fuzzed bytes."""

from __future__ import annotations

import os
import resource
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.fuzz_settings import fuzz

from lift3d.errors import InputError
from lift3d.inputs import read_picture, read_picture_bytes

tifffile = pytest.importorskip("tifffile")


def planar_tiff(path: Path, planes: int, side_px: int = 8, declared_side_px: int = 0) -> Path:
    """A float64 TIFF of `planes` separate sample planes; the header may then claim a bigger side."""
    tifffile.imwrite(
        path, np.zeros((planes, side_px, side_px)), planarconfig="separate", photometric="minisblack"
    )
    if declared_side_px:
        with tifffile.TiffFile(path, mode="r+b") as tiff:
            page = tiff.pages[0]
            page.tags["ImageWidth"].overwrite(declared_side_px)
            page.tags["ImageLength"].overwrite(declared_side_px)
    return path


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_tiff_declaring_many_float64_planes_is_refused_from_its_header(tmp_path: Path) -> None:
    """Issue 19.1: 5000x5000 passes the pixel limit, but 100 float64 planes would need 18.6 GiB."""
    path = planar_tiff(tmp_path / "planes.tif", planes=100, declared_side_px=5000)
    assert path.stat().st_size < 200_000
    before = peak_memory_mb()
    with pytest.raises(InputError, match="planes.tif.*18.6 GiB.*memory bomb") as raised:
        read_picture(path)
    assert "\n" not in str(raised.value)
    with pytest.raises(InputError, match="GiB"):
        read_picture_bytes(path.read_bytes(), "upload.tif")
    assert peak_memory_mb() - before < 200


def test_the_decoded_size_counts_samples_and_bytes_not_only_pixels(tmp_path: Path) -> None:
    """A real 64x64 TIFF of 64 float64 planes decodes to 2 MiB: over 8 bytes a pixel of a 4096 px budget."""
    path = planar_tiff(tmp_path / "deep.tif", planes=64, side_px=64)
    with pytest.raises(InputError, match="memory bomb"):
        read_picture(path, max_pixels=64 * 64)
    assert read_picture(path).rgb.shape == (64, 64, 3)  # the default budget takes it


def test_a_symlink_loop_is_reported_as_a_loop(tmp_path: Path) -> None:
    loop = tmp_path / "loop.png"
    os.symlink(loop, loop)
    with pytest.raises(InputError, match="loop.png: it is a symbolic link loop"):
        read_picture(loop)
    dangling = tmp_path / "dangling.png"
    os.symlink(tmp_path / "gone.png", dangling)
    with pytest.raises(InputError, match="link to a missing file"):
        read_picture(dangling)


PNG_HEAD = bytes.fromhex("89504e470d0a1a0a0000000d49484452")
TIFF_HEADS = (b"II*\x00", b"MM\x00*")


@fuzz(150)
@given(
    head=st.sampled_from(
        [b"", PNG_HEAD, *TIFF_HEADS, b"\xff\xd8\xff\xe0", b"RIFF\x00\x00\x00\x00WEBP", b"GIF89a"]
    ),
    body=st.binary(max_size=2048),
)
def test_fuzzed_bytes_give_a_picture_or_one_input_error(head: bytes, body: bytes) -> None:
    """Any bytes: a Picture, or an InputError of one line; never another exception."""
    try:
        picture = read_picture_bytes(head + body, "fuzz", max_pixels=1_000_000)
    except InputError as error:
        assert "\n" not in str(error) and str(error).startswith("cannot read fuzz")
    else:
        assert picture.rgb.ndim == 3 and np.isfinite(picture.rgb).all()


@fuzz(60)
@given(data=st.data())
def test_mutated_real_pictures_give_a_picture_or_one_input_error(
    data: st.DataObject, tmp_path_factory
) -> None:
    """Real PNG and TIFF files with random bytes overwritten: the decoders' errors become InputError."""
    import io

    from PIL import Image

    rng = np.random.default_rng(0)
    stream = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(
        stream, format=data.draw(st.sampled_from(["PNG", "TIFF", "JPEG", "WEBP"]))
    )
    original = bytearray(stream.getvalue())
    for _ in range(data.draw(st.integers(1, 8))):
        index = data.draw(st.integers(0, len(original) - 1))
        original[index] = data.draw(st.integers(0, 255))
    try:
        read_picture_bytes(bytes(original), "fuzz", max_pixels=1_000_000)
    except InputError as error:
        assert "\n" not in str(error)


def test_a_tiff_whose_first_page_decodes_to_no_pixels_is_one_input_error() -> None:
    """Found by the fuzz test above: eight bytes changed in a 16x16 TIFF made tifffile return an
    empty 1-D array, and the reader raised ValueError (a traceback) instead of one line."""
    import io

    from PIL import Image

    rng = np.random.default_rng(0)
    stream = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(stream, format="TIFF")
    data = bytearray(stream.getvalue())
    for index, value in [
        (379, 240),
        (42, 148),
        (668, 100),
        (95, 180),
        (254, 183),
        (873, 53),
        (873, 42),
        (388, 113),
    ]:
        data[index] = value
    with pytest.raises(
        InputError, match="cannot read broken.tif: the TIFF is truncated or corrupt"
    ) as caught:
        read_picture_bytes(bytes(data), "broken.tif")
    assert "\n" not in str(caught.value)


def test_a_tiff_with_uneven_bits_per_sample_and_no_byte_counts_is_one_input_error() -> None:
    """Found by the fuzz test above: tifffile then raises TypeError (a tuple of bit depths where it
    wants one number), which must become the corrupt-file InputError like its other errors."""
    import io
    import struct

    from PIL import Image

    stream = io.BytesIO()
    Image.fromarray(np.zeros((16, 16, 3), dtype=np.uint8)).save(stream, format="TIFF")
    data = bytearray(stream.getvalue())
    assert data[:4] == b"II*\x00"
    first_ifd = struct.unpack_from("<I", data, 4)[0]
    entries = {
        struct.unpack_from("<H", data, first_ifd + 2 + 12 * k)[0]: first_ifd + 2 + 12 * k
        for k in range(struct.unpack_from("<H", data, first_ifd)[0])
    }
    bits_at = struct.unpack_from("<I", data, entries[258] + 8)[0]
    struct.pack_into("<3H", data, bits_at, 8, 8, 16)  # BitsPerSample 8, 8, 16
    struct.pack_into("<H", data, entries[279], 65000)  # StripByteCounts renamed to an unknown tag
    with pytest.raises(InputError, match="odd.tif: the TIFF is truncated or corrupt"):
        read_picture_bytes(bytes(data), "odd.tif", max_pixels=1_000_000)


def test_a_tall_one_bit_colour_tiff_is_shrunk_not_refused_by_the_resizer(tmp_path: Path) -> None:
    """Found by the fuzz test: a one-bit page Pillow cannot read (three samples) goes to tifffile,
    which gives bool, and a page taller than the working size reached cv2.resize as bool, which it
    cannot resample. It now reads as a picture, black and white kept apart."""
    import tifffile

    tall = np.zeros((4000, 16, 3), dtype=bool)
    tall[:, 8:] = True
    path = tmp_path / "tall.tif"
    tifffile.imwrite(path, tall, photometric="rgb")
    picture = read_picture(path)
    assert max(picture.rgb.shape[:2]) < 4000
    assert picture.rgb[:, :2].max() < 0.1 and picture.rgb[:, -2:].min() > 0.9


def test_a_tiff_tag_whose_type_byte_says_text_is_one_input_error() -> None:
    """Found by the fuzz test: one byte of a tag's type turned to ASCII makes Pillow's TIFF
    loader raise TypeError (text where it wants a number); it must be the one-line InputError."""
    import io

    from PIL import Image

    stream = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(
        stream, format="TIFF"
    )
    data = bytearray(stream.getvalue())
    data[72] = 2  # the type of the sixth tag in the first directory: 2 is ASCII
    with pytest.raises(InputError, match="cannot read odd.tif") as caught:
        read_picture_bytes(bytes(data), "odd.tif", max_pixels=1_000_000)
    assert "\n" not in str(caught.value)
