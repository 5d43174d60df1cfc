"""Reading every supported format and mode, and refusing every bad file with a clear message."""

from __future__ import annotations

import resource
import warnings
from pathlib import Path

import numpy as np
import pytest
from input_pictures import png_header_only
from PIL import Image

from lift3d.errors import InputError, OptionError
from lift3d.inputs import read_picture, read_picture_bytes

HEIGHT, WIDTH = 24, 32


def gradient_rgb8() -> np.ndarray:
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    channels = [cols * 255 // (WIDTH - 1), rows * 255 // (HEIGHT - 1), np.full_like(rows, 128)]
    return np.stack(channels, -1).astype(np.uint8)


def half_alpha8() -> np.ndarray:
    alpha = np.full((HEIGHT, WIDTH), 255, np.uint8)
    alpha[:, : WIDTH // 2] = 0
    return alpha


def save(image: Image.Image, path: Path, format: str, **params: object) -> Path:
    image.save(path, format=format, **params)
    return path


def make_rgb(tmp: Path) -> Path:
    return save(Image.fromarray(gradient_rgb8()), tmp / "rgb.png", "PNG")


def make_rgba(tmp: Path) -> Path:
    rgba = np.dstack([gradient_rgb8(), half_alpha8()])
    return save(Image.fromarray(rgba), tmp / "rgba.png", "PNG")


def make_grey(tmp: Path) -> Path:
    return save(Image.fromarray(gradient_rgb8()[..., 0]), tmp / "grey.png", "PNG")


def make_grey_alpha(tmp: Path) -> Path:
    image = Image.merge("LA", [Image.fromarray(gradient_rgb8()[..., 0]), Image.fromarray(half_alpha8())])
    return save(image, tmp / "la.png", "PNG")


def make_palette_transparent(tmp: Path) -> Path:
    image = Image.fromarray(gradient_rgb8()).quantize(16)
    indices = np.asarray(image).copy()
    indices[:, : WIDTH // 2] = 15
    image = Image.fromarray(indices, "P")
    image.putpalette(Image.fromarray(gradient_rgb8()).quantize(16).getpalette())
    return save(image, tmp / "palette.png", "PNG", transparency=15)


def make_palette_gif(tmp: Path) -> Path:
    return save(Image.fromarray(gradient_rgb8()).quantize(32), tmp / "palette.gif", "GIF")


def make_one_bit(tmp: Path) -> Path:
    return save(Image.fromarray(gradient_rgb8()[..., 0] > 128), tmp / "bits.png", "PNG")


def make_cmyk_jpeg(tmp: Path) -> Path:
    return save(Image.fromarray(gradient_rgb8()).convert("CMYK"), tmp / "cmyk.jpg", "JPEG")


def make_cmyk_tiff(tmp: Path) -> Path:
    return save(Image.fromarray(gradient_rgb8()).convert("CMYK"), tmp / "cmyk.tif", "TIFF")


def make_jpeg(tmp: Path) -> Path:
    return save(Image.fromarray(gradient_rgb8()), tmp / "photo.jpg", "JPEG", quality=95)


def make_grey_jpeg(tmp: Path) -> Path:
    return save(Image.fromarray(gradient_rgb8()[..., 0]), tmp / "grey.jpg", "JPEG")


def make_webp(tmp: Path) -> Path:
    return save(Image.fromarray(gradient_rgb8()), tmp / "photo.webp", "WEBP", quality=90)


def make_webp_rgba(tmp: Path) -> Path:
    rgba = np.dstack([gradient_rgb8(), half_alpha8()])
    return save(Image.fromarray(rgba), tmp / "cut.webp", "WEBP", lossless=True)


def make_tiff(tmp: Path) -> Path:
    return save(Image.fromarray(gradient_rgb8()), tmp / "photo.tif", "TIFF", compression="tiff_lzw")


def make_bmp(tmp: Path) -> Path:
    return save(Image.fromarray(gradient_rgb8()), tmp / "photo.bmp", "BMP")


def make_grey16_png(tmp: Path) -> Path:
    values = (np.linspace(0, 65535, HEIGHT * WIDTH).reshape(HEIGHT, WIDTH)).astype(np.uint16)
    image = Image.fromarray(values)
    assert image.mode == "I;16"
    return save(image, tmp / "grey16.png", "PNG")


def make_grey16_tiff(tmp: Path) -> Path:
    values = (np.linspace(0, 65535, HEIGHT * WIDTH).reshape(HEIGHT, WIDTH)).astype(np.uint16)
    return save(Image.fromarray(values), tmp / "grey16.tif", "TIFF")


def make_int32_tiff(tmp: Path) -> Path:
    values = (np.linspace(0, 65535, HEIGHT * WIDTH).reshape(HEIGHT, WIDTH)).astype(np.int32)
    image = Image.fromarray(values, "I")
    return save(image, tmp / "int32.tif", "TIFF")


def make_rgb16_tiff(tmp: Path) -> Path:
    import tifffile

    path = tmp / "rgb16.tif"
    tifffile.imwrite(path, gradient_rgb8().astype(np.uint16) * 257, photometric="rgb")
    return path


def make_float_tiff(tmp: Path) -> Path:
    values = np.linspace(0, 1, HEIGHT * WIDTH, dtype=np.float32).reshape(HEIGHT, WIDTH)
    return save(Image.fromarray(values, "F"), tmp / "float.tif", "TIFF")


def make_float255_tiff(tmp: Path) -> Path:
    values = np.linspace(0, 255, HEIGHT * WIDTH, dtype=np.float32).reshape(HEIGHT, WIDTH)
    return save(Image.fromarray(values, "F"), tmp / "float255.tif", "TIFF")


def make_float_rgb_tiff(tmp: Path) -> Path:
    import tifffile

    path = tmp / "float_rgb.tif"
    tifffile.imwrite(path, gradient_rgb8().astype(np.float32) / 255, photometric="rgb")
    return path


def make_animated_gif(tmp: Path) -> Path:
    first = Image.fromarray(gradient_rgb8())
    second = Image.new("RGB", (WIDTH, HEIGHT), (0, 0, 0))
    path = tmp / "anim.gif"
    first.save(path, format="GIF", save_all=True, append_images=[second], duration=100, loop=0)
    return path


def make_animated_png(tmp: Path) -> Path:
    first = Image.fromarray(gradient_rgb8())
    second = Image.new("RGB", (WIDTH, HEIGHT), (0, 0, 0))
    path = tmp / "anim.png"
    first.save(path, format="PNG", save_all=True, append_images=[second], duration=100)
    return path


def make_animated_webp(tmp: Path) -> Path:
    first = Image.fromarray(gradient_rgb8())
    second = Image.new("RGB", (WIDTH, HEIGHT), (0, 0, 0))
    path = tmp / "anim.webp"
    first.save(path, format="WEBP", save_all=True, append_images=[second], duration=100, lossless=True)
    return path


def make_jpeg_named_png(tmp: Path) -> Path:
    return save(Image.fromarray(gradient_rgb8()), tmp / "really_a_jpeg.png", "JPEG", quality=95)


# (maker, expect alpha, tolerance against the source gradient or None to skip colour check)
CASES = {
    "png-rgb": (make_rgb, False, 0.002),
    "png-rgba": (make_rgba, True, 0.002),
    "png-grey": (make_grey, False, None),
    "png-grey-alpha": (make_grey_alpha, True, None),
    "png-palette-transparency": (make_palette_transparent, True, None),
    "gif-palette": (make_palette_gif, False, None),
    "png-1bit": (make_one_bit, False, None),
    "jpeg-rgb": (make_jpeg, False, 0.06),
    "jpeg-grey": (make_grey_jpeg, False, None),
    "jpeg-cmyk": (make_cmyk_jpeg, False, 0.1),
    "tiff-cmyk": (make_cmyk_tiff, False, 0.01),
    "webp-rgb": (make_webp, False, 0.1),
    "webp-rgba": (make_webp_rgba, True, 0.01),
    "tiff-rgb": (make_tiff, False, 0.002),
    "bmp-rgb": (make_bmp, False, 0.002),
    "png-grey16": (make_grey16_png, False, None),
    "tiff-grey16": (make_grey16_tiff, False, None),
    "tiff-int32": (make_int32_tiff, False, None),
    "tiff-rgb16": (make_rgb16_tiff, False, 0.005),
    "tiff-float": (make_float_tiff, False, None),
    "tiff-float255": (make_float255_tiff, False, None),
    "tiff-float-rgb": (make_float_rgb_tiff, False, 0.002),
    "gif-animated": (make_animated_gif, False, None),
    "png-animated": (make_animated_png, False, 0.002),
    "webp-animated": (make_animated_webp, False, 0.002),
    "png-named-jpeg": (make_jpeg_named_png, False, 0.06),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_format_and_mode_reads_into_a_picture(case: str, tmp_path: Path) -> None:
    make, expect_alpha, tolerance = CASES[case]
    path = make(tmp_path)
    picture = read_picture(path)
    assert picture.source == str(path)
    assert picture.rgb.shape == (HEIGHT, WIDTH, 3)
    assert picture.rgb.dtype == np.float32
    assert 0.0 <= picture.rgb.min() and picture.rgb.max() <= 1.0
    # Every case is a gradient (or its first frame is), never a flat or black picture.
    assert picture.rgb.max() - picture.rgb.min() > 0.5
    if expect_alpha:
        assert picture.alpha is not None
        assert picture.alpha.shape == (HEIGHT, WIDTH) and picture.alpha.dtype == np.float32
        assert picture.alpha[:, : WIDTH // 2].max() == 0.0
        assert picture.alpha[:, WIDTH // 2 :].min() == 1.0
    else:
        assert picture.alpha is None
    if tolerance is not None:
        expected = gradient_rgb8().astype(np.float32) / 255
        visible = slice(WIDTH // 2, None) if expect_alpha else slice(None)
        error = np.abs(picture.rgb[:, visible] - expected[:, visible]).mean()
        assert error < tolerance


@pytest.mark.parametrize("maker", [make_grey16_png, make_grey16_tiff, make_int32_tiff, make_float_tiff])
def test_high_depth_greys_span_the_unit_range(maker, tmp_path: Path) -> None:
    picture = read_picture(maker(tmp_path))
    assert picture.rgb.min() == pytest.approx(0.0, abs=1e-3)
    assert picture.rgb.max() == pytest.approx(1.0, abs=1e-3)
    assert np.allclose(picture.rgb[..., 0], picture.rgb[..., 2])


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, :20] = (255, 0, 0)  # left half red
    image = Image.fromarray(pixels)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display turned 90 degrees clockwise
    path = tmp_path / "rotated.jpg"
    image.save(path, format="JPEG", exif=exif, quality=95)
    picture = read_picture(path)
    assert picture.rgb.shape == (40, 20, 3)
    # The stored left half is on top once turned clockwise.
    assert picture.rgb[:18, :, 0].mean() > 0.9
    assert picture.rgb[22:, :, 0].mean() < 0.1


@pytest.mark.parametrize("format", ["PNG", "JPEG"])
def test_big_pictures_are_shrunk_to_the_working_size(format: str, tmp_path: Path) -> None:
    pixels = np.zeros((300, 900, 3), np.uint8)
    pixels[:, 450:] = 255
    path = tmp_path / f"big.{format.lower()}"
    Image.fromarray(pixels).save(path, format=format)
    picture = read_picture(path, max_side_px=256)
    assert max(picture.rgb.shape[:2]) <= 256
    assert picture.rgb.shape[1] >= 255 and abs(picture.rgb.shape[0] - 85) <= 1
    assert picture.rgb[:, :100].max() < 0.1 and picture.rgb[:, -100:].min() > 0.9


def test_default_working_size_is_2048(tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    Image.new("RGB", (3000, 40), (10, 200, 30)).save(path)
    picture = read_picture(path)
    assert max(picture.rgb.shape[:2]) == 2048


def test_tiny_pictures_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "tiny.png"
    Image.new("RGB", (20, 20), (255, 0, 0)).save(path)
    assert read_picture(path).rgb.shape == (20, 20, 3)


def test_read_picture_bytes_matches_the_file(tmp_path: Path) -> None:
    path = make_rgba(tmp_path)
    from_bytes = read_picture_bytes(path.read_bytes(), "upload.png")
    from_file = read_picture(path)
    assert from_bytes.source == "upload.png"
    assert np.array_equal(from_bytes.rgb, from_file.rgb)
    assert np.array_equal(from_bytes.alpha, from_file.alpha)


def assert_refused(path_or_source: str, call, *words: str) -> InputError:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no Pillow warning may leak
        with pytest.raises(InputError) as raised:
            call()
    message = str(raised.value)
    assert path_or_source in message
    assert "\n" not in message
    for word in words:
        assert word in message
    return raised.value


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nothing.png"
    assert_refused(str(path), lambda: read_picture(path), "no such file")


def test_directory(tmp_path: Path) -> None:
    assert_refused(str(tmp_path), lambda: read_picture(tmp_path), "folder")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    assert_refused(str(path), lambda: read_picture(path), "empty")
    assert_refused("upload.png", lambda: read_picture_bytes(b"", "upload.png"), "empty")


def test_truncated_png(tmp_path: Path) -> None:
    full = tmp_path / "full.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(full)
    path = tmp_path / "truncated.png"
    path.write_bytes(full.read_bytes()[:2000])
    assert_refused(str(path), lambda: read_picture(path), "truncated or corrupt")


def test_corrupt_jpeg(tmp_path: Path) -> None:
    full = make_jpeg(tmp_path)
    path = tmp_path / "cut.jpg"
    path.write_bytes(full.read_bytes()[:300])
    assert_refused(str(path), lambda: read_picture(path), "truncated or corrupt")


def test_text_file_named_png(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("this is not a picture\nat all\n")
    assert_refused(str(path), lambda: read_picture(path), "text file, not a picture")


def test_binary_junk(tmp_path: Path) -> None:
    path = tmp_path / "junk.jpg"
    path.write_bytes(bytes(range(256)) * 4)
    assert_refused(str(path), lambda: read_picture(path), "not a picture")


def test_unsupported_format(tmp_path: Path) -> None:
    path = tmp_path / "old.png"
    Image.fromarray(gradient_rgb8()).save(path, format="PCX")
    assert_refused(str(path), lambda: read_picture(path), "PCX", "not supported")


def peak_memory_mb() -> float:
    """This process's peak resident memory so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(60000, 60000))
    assert path.stat().st_size < 100
    before = peak_memory_mb()
    assert_refused(str(path), lambda: read_picture(path), "decompression bomb")
    assert_refused("bomb upload", lambda: read_picture_bytes(path.read_bytes(), "bomb upload"), "megapixels")
    assert peak_memory_mb() - before < 200  # decoding would need 10 GB


def test_over_the_limit_but_under_pillows_is_refused_without_warning(tmp_path: Path) -> None:
    path = tmp_path / "large.png"
    path.write_bytes(png_header_only(12000, 12000))  # 144 MP: Pillow would only warn
    before = peak_memory_mb()
    assert_refused(str(path), lambda: read_picture(path), "12000x12000", "too large")
    assert peak_memory_mb() - before < 200  # decoding would need 430 MB


def test_max_pixels_is_honoured(tmp_path: Path) -> None:
    path = make_rgb(tmp_path)
    assert_refused(str(path), lambda: read_picture(path, max_pixels=500), "too large")


def test_header_without_pixels_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "hollow.png"
    path.write_bytes(png_header_only(640, 480))
    assert_refused(str(path), lambda: read_picture(path), "truncated or corrupt")


def test_pictures_too_small_to_use(tmp_path: Path) -> None:
    path = tmp_path / "dot.png"
    Image.new("RGB", (1, 1)).save(path)
    assert_refused(str(path), lambda: read_picture(path), "too small")


@pytest.mark.parametrize("limits", [{"max_pixels": 0}, {"max_side_px": -5}, {"max_side_px": 2.5}])
def test_bad_limits_are_option_errors(limits: dict, tmp_path: Path) -> None:
    with pytest.raises(OptionError):
        read_picture(make_rgb(tmp_path), **limits)
