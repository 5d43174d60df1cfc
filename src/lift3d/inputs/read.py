"""Read picture files or bytes into a validated Picture, refusing anything unusable or unsafe."""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
import struct
import threading
import warnings
import zlib
from pathlib import Path
from typing import IO

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from lift3d.errors import InputError, OptionError
from lift3d.images import scaled_size
from lift3d.types import Picture

# Formats identified from the content (never the extension). MPO is how Pillow opens
# many camera JPEGs; GIF and BMP are harmless and common enough to take as well.
SUPPORTED_FORMATS = ("PNG", "JPEG", "MPO", "WEBP", "TIFF", "GIF", "BMP")
# A 108-megapixel phone photo passes; anything declaring more is refused before decoding.
# Pillow's own hard limit (2 * Image.MAX_IMAGE_PIXELS, about 179 MP) still applies above this.
DEFAULT_MAX_PIXELS = 120_000_000
# Decoded bytes allowed per allowed pixel: 16-bit RGBA (8 bytes) passes, while a small TIFF
# declaring 100 float64 planes (800 bytes a pixel) is refused from its header before any
# allocation; width x height alone would let it ask for tens of GiB.
MAX_DECODED_BYTES_PER_PIXEL = 8
# Later stages never need more than this, so big pictures are shrunk while still 8-bit.
WORKING_SIDE_PX = 2048
MIN_SIDE_PX = 8

# Errors Pillow, tifffile and their codecs raise on truncated or corrupt data. The decoders' own
# code meets corrupt files in many ways (fuzz finds): a tag's text or tuple
# where arithmetic wants a number (TypeError), an unknown enum value (KeyError), a zero step
# (ZeroDivisionError). All of them mean a corrupt file.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    LookupError,
    TypeError,
    ArithmeticError,
    struct.error,
    zlib.error,
)
_HIGH_DEPTH_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


def read_picture(
    path: str | os.PathLike,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_side_px: int = WORKING_SIDE_PX,
) -> Picture:
    """Decode the picture at `path`, shrunk so its longer side is at most `max_side_px`.

    The format is sniffed from the content. Pictures declaring more than `max_pixels`
    are refused from their header alone, so a decompression bomb costs nothing.
    """
    _check_limits(max_pixels, max_side_px)
    file = Path(path)
    source = str(path)
    try:
        file.stat()  # follows links: a loop or a dangling link fails here, each with its own reason
    except OSError as error:
        raise InputError(f"cannot read {source}: {_os_reason(error)}") from None
    if file.is_dir():
        raise InputError(f"cannot read {source}: it is a folder, not a picture")
    if not file.is_file():
        raise InputError(f"cannot read {source}: not a regular file")
    try:
        with file.open("rb") as stream:
            if os.fstat(stream.fileno()).st_size == 0:
                raise InputError(f"cannot read {source}: the file is empty")
            return _decode(stream, source, max_pixels, max_side_px)
    except PermissionError:
        raise InputError(f"cannot read {source}: permission denied") from None
    except OSError as error:
        raise InputError(f"cannot read {source}: {error.strerror or error}") from None


def read_picture_bytes(
    data: bytes,
    source: str = "<uploaded picture>",
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_side_px: int = WORKING_SIDE_PX,
) -> Picture:
    """Decode a picture held in memory (an upload); `source` names it in messages."""
    _check_limits(max_pixels, max_side_px)
    if not data:
        raise InputError(f"cannot read {source}: the file is empty")
    return _decode(io.BytesIO(data), source, max_pixels, max_side_px)


def _check_limits(max_pixels: int, max_side_px: int) -> None:
    for name, value in (("max_pixels", max_pixels), ("max_side_px", max_side_px)):
        if isinstance(value, bool) or not isinstance(value, int) or value < MIN_SIDE_PX:
            raise OptionError(f"{name} must be a whole number of at least {MIN_SIDE_PX}, got {value!r}")


class _NeedsTiffFallback(Exception):
    """A TIFF variant Pillow cannot decode (e.g. float RGB); tifffile may read it."""


def _decode(stream: IO[bytes], source: str, max_pixels: int, max_side_px: int) -> Picture:
    # Pillow warns about big pictures on open; the size is checked here against
    # `max_pixels` instead, so its warning must not reach the user. (catch_warnings
    # is process-wide: a thread decoding at the same moment may miss a warning.)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        # Pillow warns about corrupt EXIF and the like; a broken file fails as one InputError instead.
        warnings.filterwarnings("ignore", category=UserWarning, module="PIL")
        try:
            image = _open(stream, source)
        except _NeedsTiffFallback:
            rgb, alpha = _decode_tiff_fallback(stream, source, max_pixels, max_side_px)
            return _make_picture(rgb, alpha, source)
        with image:
            _check_size(image.size, source, max_pixels)
            if image.format in ("JPEG", "MPO"):
                # Let the JPEG decoder skip detail we would throw away (1/2, 1/4, 1/8 scale).
                shrink = max(image.size) / max_side_px
                if shrink >= 2:
                    width, height = image.size
                    image.draft(None, (max(1, int(width / shrink)), max(1, int(height / shrink))))
            try:
                image.load()
            except Image.DecompressionBombError:
                raise InputError(f"cannot read {source}: the picture is too large to decode safely") from None
            except _DECODE_ERRORS as error:
                raise InputError(
                    f"cannot read {source}: the file is truncated or corrupt ({_one_line(error)})"
                ) from None
            rgb, alpha = _to_arrays(_upright(image), max_side_px)
    return _make_picture(rgb, alpha, source)


def _upright(image: Image.Image) -> Image.Image:
    """Turn the picture as its EXIF orientation says; broken EXIF is ignored, not fatal."""
    try:
        return ImageOps.exif_transpose(image) or image
    except _DECODE_ERRORS + (KeyError, TypeError):
        return image


def _open(stream: IO[bytes], source: str) -> Image.Image:
    try:
        image = Image.open(stream)
    except Image.DecompressionBombError as error:
        raise InputError(f"cannot read {source}: {_bomb_message(error)}") from None
    except UnidentifiedImageError:
        head = _head(stream)
        if head.startswith(_TIFF_MAGIC):
            raise _NeedsTiffFallback from None
        if _looks_like_text(head):
            raise InputError(f"cannot read {source}: it is a text file, not a picture") from None
        raise InputError(
            f"cannot read {source}: not a picture (expected PNG, JPEG, WebP or TIFF content)"
        ) from None
    except _DECODE_ERRORS as error:
        detail = _one_line(error)
        raise InputError(f"cannot read {source}: the file is truncated or corrupt ({detail})") from None
    if image.format not in SUPPORTED_FORMATS:
        image.close()
        raise InputError(
            f"cannot read {source}: {image.format} pictures are not supported; use PNG, JPEG, WebP or TIFF"
        )
    return image


def _check_size(size: tuple[int, int], source: str, max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise InputError(
            f"cannot read {source}: {width}x{height} pixels is too large "
            f"(limit {max_pixels:,} pixels; refusing a possible decompression bomb)"
        )
    if min(width, height) < MIN_SIDE_PX:
        raise InputError(
            f"cannot read {source}: {width}x{height} pixels is too small (at least {MIN_SIDE_PX} a side)"
        )


def _check_decoded_bytes(page: object, source: str, max_pixels: int) -> None:
    """Refuse a TIFF page whose decoded samples would exceed the memory budget, from its tags alone."""
    shape = tuple(int(n) for n in getattr(page, "shape", ()))
    sample_bytes = int(np.dtype(getattr(page, "dtype", None) or np.uint8).itemsize)
    decoded = int(np.prod(shape, dtype=object)) * sample_bytes if shape else 0
    limit = max_pixels * MAX_DECODED_BYTES_PER_PIXEL
    if decoded > limit:
        raise InputError(
            f"cannot read {source}: decoding it would take {decoded / 2**30:.1f} GiB "
            f"(shape {'x'.join(map(str, shape))} of {sample_bytes}-byte samples; "
            f"limit {limit / 2**30:.1f} GiB; refusing a possible memory bomb)"
        )


def _to_arrays(image: Image.Image, max_side_px: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Turn any decoded mode into float RGB in [0, 1] and an optional alpha."""
    if image.mode in _HIGH_DEPTH_MODES:
        values = np.asarray(image)
        if values.dtype != np.uint16:
            values = values.astype(np.float32)
        grey = _unit_range(_shrink(values, max_side_px))
        return np.repeat(grey[..., None], 3, axis=2), None
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if image.mode not in ("L", "LA", "RGB", "RGBA"):
        # Palette and 1-bit pictures must become true colour before smooth resampling;
        # CMYK, YCbCr, LAB and HSV become RGB.
        image = image.convert("RGBA" if has_alpha else "RGB")
    elif has_alpha and image.mode in ("L", "RGB"):
        image = image.convert("RGBA")  # a tRNS colour key
    # Shrinking before widening to float keeps memory near the decoded size; Pillow
    # resamples RGBA premultiplied, so transparent pixels do not bleed colour.
    image.thumbnail((max_side_px, max_side_px), Image.Resampling.LANCZOS, reducing_gap=3.0)
    values = np.asarray(image.convert("RGBA" if has_alpha else "RGB"), dtype=np.float32) / 255.0
    if has_alpha:
        return values[..., :3], values[..., 3]
    return values, None


def _shrink(values: np.ndarray, max_side_px: int) -> np.ndarray:
    """Area-average an array so its longer side is at most `max_side_px`."""
    height, width = values.shape[:2]
    scale = max_side_px / max(height, width)
    if scale >= 1:
        return values
    size = scaled_size(height, width, scale)
    if values.dtype not in (np.uint8, np.uint16):  # cv2 cannot resize bool or most integers;
        values = values.astype(np.float32)  # _unit_range takes any other type as float anyway
    return cv2.resize(values, size, interpolation=cv2.INTER_AREA)


def _unit_range(values: np.ndarray) -> np.ndarray:
    """Map integer or float samples to [0, 1], guessing the range float files use."""
    if values.dtype == np.uint8:
        return values.astype(np.float32) / 255.0
    if values.dtype == np.uint16:
        return values.astype(np.float32) / 65535.0
    values = np.nan_to_num(values.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    low, high = float(values.min()), float(values.max())
    if low < 0:
        return (values - low) / max(high - low, 1e-12)
    for full_scale in (1.0, 255.0, 65535.0):
        if high <= full_scale:
            return values / full_scale
    return values / high


def _decode_tiff_fallback(
    stream: IO[bytes], source: str, max_pixels: int, max_side_px: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Read TIFF variants Pillow lacks (float or many-sample colour) with tifffile."""
    unsupported = f"cannot read {source}: this kind of TIFF is not supported; save it as 8- or 16-bit RGB"
    try:
        import tifffile
    except ImportError:
        raise InputError(unsupported) from None
    stream.seek(0)
    try:
        with _tifffile_quiet(), tifffile.TiffFile(stream) as tiff:
            page = tiff.pages.first
            _check_size((int(page.imagewidth), int(page.imagelength)), source, max_pixels)
            _check_decoded_bytes(page, source, max_pixels)
            values = page.asarray()
            axes = page.axes
    except InputError:
        raise
    except (tifffile.TiffFileError, *_DECODE_ERRORS) as error:
        detail = _one_line(error)
        raise InputError(f"cannot read {source}: the TIFF is truncated or corrupt ({detail})") from None
    if axes == "SYX":
        values = np.moveaxis(values, 0, -1)
    elif axes not in ("YX", "YXS"):
        raise InputError(unsupported)
    if values.ndim not in (2, 3) or 0 in values.shape:  # a corrupt page can decode to no pixels at all
        raise InputError(
            f"cannot read {source}: the TIFF is truncated or corrupt (its first page has no pixels)"
        )
    if values.ndim == 2:
        values = values[..., None]
    values = _unit_range(_shrink(np.ascontiguousarray(values), max_side_px))
    if values.ndim == 2:
        values = values[..., None]
    channels = values.shape[2]
    if channels in (1, 2):
        rgb = np.repeat(values[..., :1], 3, axis=2)
    else:
        rgb = values[..., :3]
    alpha = values[..., -1] if channels in (2, 4) else None
    return rgb, alpha


class _QuietInThisThread(logging.Filter):
    """Drops tifffile's records while this thread parses a TIFF: a hostile file's complaints
    ("incorrect StripByteCounts count") would reach stderr before our one-line error."""

    active = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(self.active, "on", False)


_TIFFFILE_FILTER = _QuietInThisThread()
logging.getLogger("tifffile").addFilter(_TIFFFILE_FILTER)


@contextlib.contextmanager
def _tifffile_quiet():
    _TIFFFILE_FILTER.active.on = True
    try:
        yield
    finally:
        _TIFFFILE_FILTER.active.on = False


def _make_picture(rgb: np.ndarray, alpha: np.ndarray | None, source: str) -> Picture:
    rgb = np.ascontiguousarray(np.clip(rgb, 0.0, 1.0), dtype=np.float32)
    if alpha is not None:
        alpha = np.ascontiguousarray(np.clip(alpha, 0.0, 1.0), dtype=np.float32)
    return Picture(rgb=rgb, alpha=alpha, source=source)


def _head(stream: IO[bytes], size: int = 512) -> bytes:
    stream.seek(0)
    return stream.read(size)


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        return error.start >= len(head) - 3
    return True


def _bomb_message(error: Exception) -> str:
    digits = [int(word) for word in str(error).replace("(", " ").split() if word.isdigit()]
    if len(digits) >= 2:
        megapixels = digits[0] / 1e6
        limit = digits[1] / 1e6
        return (
            f"the picture declares {megapixels:,.0f} megapixels, over the {limit:,.0f} megapixel "
            "limit (refusing a possible decompression bomb)"
        )
    return "the picture declares too many pixels (refusing a possible decompression bomb)"


def _os_reason(error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "it is a symbolic link loop"
    if error.errno == errno.ENOENT and error.filename and os.path.islink(error.filename):
        return "no such file (it is a link to a missing file)"
    if error.errno == errno.ENOENT:
        return "no such file"
    if error.errno == errno.EACCES:
        return "permission denied"
    return error.strerror or str(error)


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
