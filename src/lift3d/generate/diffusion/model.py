"""The denoiser: a diffusers UNet that sees noisy shape maps beside the picture.

Channels in: the noisy maps (front_z, back_z) and the condition (RGB on white,
object coverage, and the classical inflation of the outline as a shape prior);
channels out: a correction to that prior, so the clean-map estimate (x0 / "sample"
prediction) is prior + output. An untrained or unsure model therefore falls back to
inflation instead of noise, and training spends its steps on what inflation misses:
tilt, flat faces, thin and thick parts.
"""

from __future__ import annotations

import numpy as np
import torch
from diffusers import UNet2DModel
from diffusers.loaders import PeftAdapterMixin

from lift3d.generate.inflate import inflated_height

MAP_CHANNELS = 2  # front_z, back_z
CONDITION_CHANNELS = 6  # r, g, b, coverage, prior front_z, prior back_z
COVERAGE = 3  # channel of the object coverage in the condition
PRIOR = slice(4, 6)  # channels of the inflation prior in the condition


class ShapeUNet(UNet2DModel, PeftAdapterMixin):
    """UNet2DModel that also accepts LoRA adapters (add_adapter, set_adapters, fuse_lora)."""


def inflation_prior(inside: np.ndarray) -> np.ndarray:
    """The prior channels (2, s, s): front and back of the outline's inflation, symmetric."""
    height = inflated_height(inside)
    return np.stack([height, -height])


def make_condition(picture: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    """The condition (6, s, s) in [-1, 1] units from a picture on white (s, s, 3) and coverage (s, s).

    The prior is the inflation of the coverage's outline at the model's size, so training
    and inference compute it identically.
    """
    return np.concatenate(
        [picture.transpose(2, 0, 1) * 2.0 - 1.0, coverage[None] * 2.0 - 1.0, inflation_prior(coverage > 0.5)],
        axis=0,
    ).astype(np.float32)


def denoise(unet: ShapeUNet, noisy_maps: torch.Tensor, condition: torch.Tensor, timesteps) -> torch.Tensor:
    """The clean-map estimate: the inflation prior plus the UNet's correction."""
    correction = unet(torch.cat([noisy_maps, condition], dim=1), timesteps).sample
    return condition[:, PRIOR] + correction.float()


def build_unet(
    size_px: int = 64,
    block_channels: tuple[int, ...] = (32, 64, 96, 128),
    layers_per_block: int = 1,
) -> ShapeUNet:
    """A small UNet: attention only in the middle block, where the grid is coarsest."""
    levels = len(block_channels)
    unet = ShapeUNet(
        sample_size=size_px,
        in_channels=MAP_CHANNELS + CONDITION_CHANNELS,
        out_channels=MAP_CHANNELS,
        layers_per_block=layers_per_block,
        block_out_channels=block_channels,
        down_block_types=("DownBlock2D",) * levels,
        up_block_types=("UpBlock2D",) * levels,
        norm_num_groups=min(16, block_channels[0]),
        attention_head_dim=32,
    )
    # Start as exactly the prior: the last convolution begins at zero.
    torch.nn.init.zeros_(unet.conv_out.weight)
    torch.nn.init.zeros_(unet.conv_out.bias)
    return unet
