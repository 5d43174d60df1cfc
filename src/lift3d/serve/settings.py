"""What one server is allowed to do: its data folder, workers, token and request limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lift3d.errors import OptionError

MEGABYTE = 1024 * 1024
# Formats a job can ask for; `preview` is the PNG sheet of renders, `obj` also yields a zip
# holding the .obj with its .mtl and texture so one download opens anywhere.
FORMATS = ("glb", "obj", "stl", "ply", "preview")
DEFAULT_FORMATS = ("glb", "obj", "stl", "preview")


@dataclass(frozen=True)
class ServerSettings:
    """Settings of one server; the limits protect a shared machine from one greedy client."""

    data_dir: Path
    workers: int = 1  # conversions run at once; each is CPU-bound, so about one per 2 cores
    token: str = field(default="", repr=False)  # bearer token for /api; empty means no auth
    max_upload_bytes: int = 20 * MEGABYTE
    max_pixels: int = 50_000_000  # a 48 MP phone photo passes; bigger uploads are refused from the header
    max_queued_jobs: int = 100
    max_variants: int = 4
    max_faces: int = 200_000
    max_texture_px: int = 4096
    decode_concurrency: int = 2  # uploads decoded at once; bounds memory under a burst of big pictures

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        for name in (
            "workers",
            "max_upload_bytes",
            "max_pixels",
            "max_queued_jobs",
            "max_variants",
            "max_faces",
            "max_texture_px",
            "decode_concurrency",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise OptionError(f"{name} must be a whole number of at least 1, got {value!r}")
        if self.workers > 64:
            raise OptionError(f"workers must be at most 64, got {self.workers}")
        if self.token != self.token.strip() or any(ord(char) < 33 or ord(char) > 126 for char in self.token):
            raise OptionError("the token must be printable ASCII without spaces")

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "jobs.sqlite3"
