"""A server-wide memory budget for decoding pictures, shared by uploads and workers.

Counting decodes is not enough: decoding a 49-megapixel PNG peaks at about 630 MB, so two
upload checks plus a worker's read took a server past 2.9 GB under 16 concurrent big
uploads (issue 19.8). Each decode reserves its estimated peak from the picture's header
and waits while the budget is spent; small pictures still decode side by side.

And glibc keeps what a thread freed in that thread's arena: six 49 MP decodes, one at a
time but on six threads, left 2.2 GB resident (3.1 GB peak). A big decode therefore hands
the freed memory back to the system when it ends (0.14 GB resident, 0.9 GB peak).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import io
import threading
import warnings
from collections.abc import Iterator

from PIL import Image

# Measured peak of read_picture_bytes per decoded pixel: the 8-bit RGBA image, Pillow's
# premultiplied copy while shrinking, and the codec's buffers (630 MB for 7000 x 7000).
PEAK_BYTES_PER_PIXEL = 13
# Decodes estimated above this give their freed memory back to the system when they end.
TRIM_ABOVE_BYTES = 64 * 1024 * 1024


def release_freed_memory() -> None:
    """Return free heap pages to the system (glibc's malloc_trim; nothing elsewhere)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim  # noqa: B018 - musl and macOS have no malloc_trim
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _glibc()


class DecodeBudget:
    """Lets decodes run at once while their estimated peaks fit in `limit_bytes`.

    One decode always runs even if its estimate alone is over the limit (the reader's own
    pixel and byte checks bound it), so nothing waits forever.
    """

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        self._used = 0
        self._changed = threading.Condition()

    def estimate(self, data: bytes) -> int:
        """The peak a decode of `data` may reach; the whole budget when the header is unreadable."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with Image.open(io.BytesIO(data)) as image:
                    width, height = image.size
                    frames = int(getattr(image, "n_frames", 1))  # an animation's frames are all kept
        except Exception:  # a TIFF only tifffile reads, or not a picture: the reader will say
            return self.limit_bytes
        return width * height * frames * PEAK_BYTES_PER_PIXEL

    def reserve(self, data: bytes) -> contextlib.AbstractContextManager[None]:
        """Hold the decode peak of one picture."""
        return self._hold(min(self.estimate(data), self.limit_bytes))

    def reserve_all(self, pictures: list[bytes]) -> contextlib.AbstractContextManager[None]:
        """Hold the peaks of several pictures read one after another and kept (views, frames)."""
        return self._hold(min(sum(self.estimate(data) for data in pictures), self.limit_bytes))

    @contextlib.contextmanager
    def _hold(self, cost: int) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: self._used == 0 or self._used + cost <= self.limit_bytes)
            self._used += cost
        try:
            yield
        finally:
            if cost >= TRIM_ABOVE_BYTES:
                release_freed_memory()
            with self._changed:
                self._used -= cost
                self._changed.notify_all()

    @property
    def used_bytes(self) -> int:
        return self._used
