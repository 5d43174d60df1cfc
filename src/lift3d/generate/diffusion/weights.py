"""Where the shipped model lives, and loading it once per process."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

from lift3d.errors import ModelError

if TYPE_CHECKING:  # asking whether the weights exist must not import torch (seconds)
    from lift3d.generate.diffusion.pipeline import ShapeDiffusion

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "weights" / "shape-diffusion"


def shipped_model_dir() -> Path | None:
    """The model committed with the package, if its weights are present."""
    return (
        SHIPPED_MODEL if (SHIPPED_MODEL / "unet" / "diffusion_pytorch_model.safetensors").is_file() else None
    )


@functools.lru_cache(maxsize=2)
def _load(folder: str) -> ShapeDiffusion:
    from lift3d.generate.diffusion.pipeline import ShapeDiffusion

    return ShapeDiffusion.from_pretrained(folder)


def load_shape_model(folder: str | os.PathLike | None = None) -> ShapeDiffusion:
    """Load (and keep warm) a model from a folder, by default the shipped one."""
    if folder is None:
        shipped = shipped_model_dir()
        if shipped is None:
            raise ModelError("the shipped diffusion model is not installed; use --generator inflate")
        folder = shipped
    return _load(str(Path(folder).resolve()))
