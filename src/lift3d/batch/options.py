"""What a batch reads, where it writes and how it spreads the work (each conversion uses ConvertOptions)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lift3d.errors import OptionError

FORMATS = ("glb", "obj", "ply", "stl")
# Matched case-insensitively against file names, so photo.JPG is found too.
DEFAULT_PATTERNS = ("*.png", "*.jpg", "*.jpeg", "*.webp", "*.tif", "*.tiff", "*.bmp", "*.gif")
MAX_WORKERS = 1024
# Exit status of a batch that ran to the end but left some pictures failed
# (1-4 belong to the Lift3DError family, 130 to an interrupt).
EXIT_SOME_FAILED = 5


@dataclass(frozen=True)
class BatchOptions:
    """A batch job's folders and scheduling; the CLI flags of `lift3d batch` map one to one."""

    input_dir: Path
    output_dir: Path
    patterns: tuple[str, ...] = DEFAULT_PATTERNS  # shell-style; a pattern with '/' matches the relative path
    format: str = "glb"  # glb | obj | ply | stl
    # Local processes, or Ray actors; None means one locally and the whole cluster on Ray.
    workers: int | None = None
    retry_failed: bool = False  # convert again inputs the manifest records as failed
    ray_address: str = ""  # empty runs locally; "auto", "ray://host:10001" or "host:6379" use Ray
    cpus_per_worker: float = 1.0  # CPUs Ray reserves for each actor

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_dir", Path(self.input_dir))
        object.__setattr__(self, "output_dir", Path(self.output_dir))
        if isinstance(self.patterns, str):
            raise OptionError("patterns must be a sequence of glob patterns, not one string")
        object.__setattr__(self, "patterns", tuple(self.patterns))
        if not self.patterns or not all(isinstance(p, str) and p.strip() for p in self.patterns):
            raise OptionError(f"give at least one non-empty glob pattern, got {list(self.patterns)!r}")
        if self.format not in FORMATS:
            raise OptionError(f"unknown format {self.format!r}; choose one of {', '.join(FORMATS)}")
        if self.workers is not None and (
            isinstance(self.workers, bool)
            or not isinstance(self.workers, int)
            or not 1 <= self.workers <= MAX_WORKERS
        ):
            raise OptionError(f"workers must be a whole number from 1 to {MAX_WORKERS}, got {self.workers!r}")
        if not self.cpus_per_worker > 0:
            raise OptionError(f"cpus per worker must be positive, got {self.cpus_per_worker!r}")
        # Outputs written into the input folder itself would be read back as inputs
        # (an OBJ's texture is a .png); a subfolder of it is fine and is skipped when scanning.
        if os.path.realpath(self.input_dir) == os.path.realpath(
            self.output_dir
        ):  # a link loop does not raise
            raise OptionError(f"the output folder must differ from the input folder {self.input_dir}")
