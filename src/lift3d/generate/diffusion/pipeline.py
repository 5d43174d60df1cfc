"""The sampling pipeline: UNet + DDIM scheduler, with the denoising loop written out.

`ShapeDiffusion` is saved and loaded like a diffusers pipeline: `unet/` and
`scheduler/` folders of config.json + safetensors, plus `lift3d.json` with the
training record. It converts a Cutout into ShapeMaps.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from diffusers import DDIMScheduler, DDPMScheduler

from lift3d.errors import ModelError
from lift3d.generate.diffusion.model import COVERAGE, PRIOR, ShapeUNet, denoise, make_condition
from lift3d.types import Cutout, ShapeMaps

# One step from pure noise is the model's best single estimate (measured by
# benchmarks/sampling_steps.py: more DDIM steps draw a sharper but less accurate sample).
# Variants need the stochastic path, or every seed would give nearly the same shape.
DEFAULT_STEPS = 1
VARIANT_STEPS = 10
# Samples averaged into one result, every second one on the mirrored picture. On 96
# held-out renders (v3) F@0.05 is 0.819 with 1, 0.825 with 2, 0.827 with 4 and 0.826 with
# 8; on the hand-drawn pictures 8 gives the smoothest surfaces (normal consistency 0.917
# -> 0.924), for about 0.12 s. Variants use 1, or averaging would erase their differences.
DEFAULT_ENSEMBLE = 8
# Gaussian blur (map pixels) of the model's correction to the inflation prior. Shading
# gradients and JPEG noise in pictures unlike the renders turned into bumps; a 1.5 px blur
# removes them (docs/handmade/) for about -0.005 held-out F@0.05 (σ 1: -0.004, σ 2: -0.009).
CORRECTION_BLUR_PX = 1.5


def noise_schedule() -> DDPMScheduler:
    """The training schedule; x0 prediction keeps one-step sampling meaningful."""
    return DDPMScheduler(
        num_train_timesteps=1000,
        beta_schedule="squaredcos_cap_v2",
        prediction_type="sample",
        clip_sample=False,
    )


def sampling_scheduler(training: DDPMScheduler) -> DDIMScheduler:
    """DDIM over the same betas; trailing spacing so one step starts from pure noise."""
    return DDIMScheduler.from_config(training.config, timestep_spacing="trailing", set_alpha_to_one=True)


def condition_from_cutout(cutout: Cutout, size_px: int) -> torch.Tensor:
    """Picture (RGB on white), object coverage and inflation prior at the model's size."""
    import cv2

    rgb = cv2.resize(cutout.rgb.astype(np.float32), (size_px, size_px), interpolation=cv2.INTER_AREA)
    coverage = cv2.resize(cutout.mask.astype(np.float32), (size_px, size_px), interpolation=cv2.INTER_AREA)
    return torch.from_numpy(make_condition(rgb, coverage))[None]


def smooth_correction(maps: np.ndarray, condition: np.ndarray, sigma_px: float) -> np.ndarray:
    """Blur what the model adds to the inflation prior, over the object only (normalised blur)."""
    from scipy import ndimage

    if sigma_px <= 0:
        return maps
    prior = condition[PRIOR]
    inside = (condition[COVERAGE] > -1.0).astype(np.float32)
    weight = np.maximum(ndimage.gaussian_filter(inside, sigma_px), 1e-3)
    correction = [
        ndimage.gaussian_filter((channel - base) * inside, sigma_px) / weight
        for channel, base in zip(maps, prior, strict=True)
    ]
    return (prior + np.stack(correction) * inside).astype(np.float32)


@dataclass
class ShapeDiffusion:
    """A loaded model: denoiser, scheduler and where they came from."""

    unet: ShapeUNet
    scheduler: DDIMScheduler
    record: dict  # training record: data recipe, steps, metrics
    weights_hash: str = ""

    @property
    def size_px(self) -> int:
        return int(self.unet.config.sample_size)

    @property
    def identity(self) -> dict:
        return {"model": self.record.get("name", "shape-diffusion"), "weights_sha256": self.weights_hash}

    @torch.no_grad()
    def sample(
        self, condition: torch.Tensor, steps: int = DEFAULT_STEPS, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Denoise maps for a batch of conditions (B, 4, H, W) -> (B, 2, H, W)."""
        self.unet.eval()
        shape = (condition.shape[0], self.unet.config.out_channels, *condition.shape[2:])
        maps = torch.randn(shape, generator=generator)
        self.scheduler.set_timesteps(steps)
        for timestep in self.scheduler.timesteps:
            predicted = denoise(self.unet, maps, condition, timestep)
            maps = self.scheduler.step(predicted, timestep, maps, eta=0.0).prev_sample
        return maps

    def predict(self, cutout: Cutout, seed: int = 0, steps: int = 0, ensemble: int = 0) -> ShapeMaps:
        """Shape maps for one cutout; steps 0 is DEFAULT_STEPS, ensemble 0 is DEFAULT_ENSEMBLE.

        `ensemble` samples are averaged; every second one sees the picture mirrored (and
        is mirrored back), so two members already cancel a left-right bias of the model.
        """
        ensemble = ensemble or DEFAULT_ENSEMBLE
        condition = condition_from_cutout(cutout, self.size_px).repeat(ensemble, 1, 1, 1)
        mirrored = torch.arange(ensemble) % 2 == 1
        condition[mirrored] = condition[mirrored].flip(-1)
        generator = torch.Generator().manual_seed(seed)
        samples = self.sample(condition, steps or DEFAULT_STEPS, generator)
        samples[mirrored] = samples[mirrored].flip(-1)
        maps = smooth_correction(samples.mean(dim=0).numpy(), condition[0].numpy(), CORRECTION_BLUR_PX)
        return ShapeMaps(
            mask=cutout.mask, front_z=maps[0].astype(np.float32), back_z=maps[1].astype(np.float32)
        )

    def save_pretrained(self, folder: str | os.PathLike, half: bool = False) -> None:
        """Write the pipeline folder; `half` stores float16 weights (how the shipped model is kept)."""
        folder = Path(folder)
        unet = copy.deepcopy(self.unet).half() if half else self.unet
        unet.save_pretrained(folder / "unet", safe_serialization=True)
        self.scheduler.save_pretrained(folder / "scheduler")
        (folder / "lift3d.json").write_text(json.dumps(self.record, indent=2))

    @classmethod
    def from_pretrained(cls, folder: str | os.PathLike) -> ShapeDiffusion:
        """Load from a local folder (never from a hub), safetensors only."""
        folder = Path(folder)
        weights = folder / "unet" / "diffusion_pytorch_model.safetensors"
        if not weights.is_file():
            raise ModelError(f"no model weights at {weights}")
        try:
            # Weights may be stored in float16 (half the size in git); CPU inference runs in float32.
            unet = ShapeUNet.from_pretrained(
                folder / "unet",
                use_safetensors=True,
                local_files_only=True,
                torch_dtype=torch.float32,
                low_cpu_mem_usage=False,
            )
            scheduler = DDIMScheduler.from_pretrained(folder / "scheduler", local_files_only=True)
            record = (
                json.loads((folder / "lift3d.json").read_text()) if (folder / "lift3d.json").exists() else {}
            )
        except (OSError, ValueError, json.JSONDecodeError) as error:
            raise ModelError(f"cannot load the model in {folder}: {error}".splitlines()[0]) from None
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
        return cls(unet=unet.eval(), scheduler=scheduler, record=record, weights_hash=digest)
