"""The denoiser: a diffusers UNet that sees noisy shape maps beside the picture.

Channels in: the noisy maps (front_z, back_z) and the condition (RGB on white,
object coverage); channels out: the clean maps (x0 / "sample" prediction, so one
sampling step already gives the model's best estimate).
"""

from __future__ import annotations

from diffusers import UNet2DModel
from diffusers.loaders import PeftAdapterMixin

MAP_CHANNELS = 2  # front_z, back_z
CONDITION_CHANNELS = 4  # r, g, b, coverage


class ShapeUNet(UNet2DModel, PeftAdapterMixin):
    """UNet2DModel that also accepts LoRA adapters (add_adapter, set_adapters, fuse_lora)."""


def build_unet(
    size_px: int = 64,
    block_channels: tuple[int, ...] = (32, 64, 96, 128),
    layers_per_block: int = 1,
) -> ShapeUNet:
    """A small UNet: attention only in the middle block, where the grid is coarsest."""
    levels = len(block_channels)
    return ShapeUNet(
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
