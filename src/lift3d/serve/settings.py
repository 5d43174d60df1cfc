"""What one server is allowed to do: its data folder, workers, token and request limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lift3d.errors import OptionError

MEGABYTE = 1024 * 1024
# Formats a job can ask for; `preview` is the PNG sheet of renders, `obj` also yields a zip
# holding the .obj with its .mtl and texture so one download opens anywhere; `usdz` needs usd-core.
FORMATS = ("glb", "obj", "stl", "ply", "usdz", "preview")
DEFAULT_FORMATS = ("glb", "obj", "stl", "preview")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class ServerSettings:
    """Settings of one server; the limits protect a shared machine from one greedy client."""

    data_dir: Path
    workers: int = 1  # conversions run at once; each is CPU-bound, so about one per 2 cores
    token: str = field(default="", repr=False)  # bearer token for /api; empty means no auth
    max_upload_bytes: int = 20 * MEGABYTE  # all the files of one job together
    # Files one job may upload (turntable views, animation frames); each is decoded at upload.
    max_files_per_job: int = 64
    max_pixels: int = 50_000_000  # a 48 MP phone photo passes; bigger uploads are refused from the header
    max_queued_jobs: int = 100
    max_variants: int = 4
    max_faces: int = 200_000
    max_texture_px: int = 4096
    # Sampling steps one job may ask for: at 0.2-1 s a step, 50 keeps a job to about a minute
    # (the converter itself allows 1000, which held a worker for over ten minutes).
    max_steps: int = 50
    decode_concurrency: int = 2  # uploads decoded at once; bounds memory under a burst of big pictures
    # Estimated decode peaks allowed at once, uploads and workers together (a 49 MP PNG is ~630 MB).
    decode_memory_mb: int = 1024
    # Host names the server answers to: a foreign Host header is a DNS-rebinding page on
    # some other site talking to this server through the victim's browser. "*" allows any.
    allowed_hosts: tuple[str, ...] = LOCAL_HOSTS
    # Web origins (scheme://host[:port]) allowed to send requests beside those on allowed_hosts;
    # a request from any other Origin is refused, so a foreign page cannot queue or delete jobs.
    allowed_origins: tuple[str, ...] = ()
    # More bearer tokens beside `token`; with tokens each holder sees and deletes only its own jobs.
    extra_tokens: tuple[str, ...] = field(default=(), repr=False)
    keep_days: float = 7.0  # finished jobs older than this are removed; 0 keeps them forever
    max_disk_gb: float = 10.0  # past this, the oldest finished jobs are removed first; 0 means no quota
    request_timeout_s: float = 60.0  # an upload must arrive within this, or the request is dropped (408)
    header_timeout_s: float = 10.0  # a connection must send a whole request head within this
    max_connections: int = 256  # connections and requests at once; more get 503 from uvicorn

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        for name in (
            "workers",
            "max_upload_bytes",
            "max_files_per_job",
            "max_pixels",
            "max_queued_jobs",
            "max_variants",
            "max_faces",
            "max_texture_px",
            "max_steps",
            "decode_concurrency",
            "decode_memory_mb",
            "max_connections",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise OptionError(f"{name} must be a whole number of at least 1, got {value!r}")
        if self.workers > 64:
            raise OptionError(f"workers must be at most 64, got {self.workers}")
        for token in (self.token, *self.extra_tokens):
            if token != token.strip() or any(ord(char) < 33 or ord(char) > 126 for char in token):
                raise OptionError("the token must be printable ASCII without spaces")
        if self.extra_tokens and (not self.token or "" in self.extra_tokens):
            raise OptionError("extra tokens need a main token, and none may be empty")
        for name in ("keep_days", "max_disk_gb"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e6:
                raise OptionError(f"{name} must be a number from 0 (off) up, got {value!r}")
        for name in ("request_timeout_s", "header_timeout_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 3600:
                raise OptionError(f"{name} must be a number of seconds in (0, 3600], got {value!r}")
        hosts = tuple(host.strip().lower().strip("[]") for host in self.allowed_hosts)
        if not hosts or "" in hosts:
            raise OptionError("allowed_hosts must name at least one host (or '*')")
        object.__setattr__(self, "allowed_hosts", hosts)
        origins = tuple(origin.strip().rstrip("/").lower() for origin in self.allowed_origins)
        if any(not origin.startswith(("http://", "https://")) for origin in origins):
            raise OptionError("allowed_origins must be like https://example.org[:port]")
        object.__setattr__(self, "allowed_origins", origins)

    @property
    def tokens(self) -> tuple[str, ...]:
        """Every accepted bearer token; empty when the API is open."""
        return (self.token, *self.extra_tokens) if self.token else ()

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "jobs.sqlite3"
