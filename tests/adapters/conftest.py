"""Fixtures for adapter tests: a tiny random base model saved like a real one, and adapters for it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lift3d.generate.adapters.config import AdapterConfig
from lift3d.generate.adapters.files import attach_lora, save_adapter
from lift3d.generate.diffusion.model import CONDITION_CHANNELS, MAP_CHANNELS, build_unet
from lift3d.generate.diffusion.pipeline import ShapeDiffusion, noise_schedule, sampling_scheduler

TINY_SIZE_PX = 16


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    unet = build_unet(TINY_SIZE_PX, (32, 64)).eval()
    # A random base, last layer included: build_unet starts it at zero (exactly the prior),
    # which would hide every adapter's effect.
    torch.nn.init.normal_(unet.conv_out.weight, std=0.05)
    folder = tmp_path_factory.mktemp("tiny-base")
    ShapeDiffusion(unet, sampling_scheduler(noise_schedule()), {"name": "tiny"}).save_pretrained(folder)
    return folder


@pytest.fixture
def tiny_model(tiny_model_dir: Path) -> ShapeDiffusion:
    return ShapeDiffusion.from_pretrained(tiny_model_dir)


def make_adapter(model_dir: Path, path: Path, seed: int, config: AdapterConfig | None = None) -> Path:
    """A random adapter (init_lora_weights=False, so it really changes the output) saved to `path`."""
    model = ShapeDiffusion.from_pretrained(model_dir)
    config = config or AdapterConfig(rank=2, alpha=2.0)
    torch.manual_seed(seed)
    attach_lora(model, config, "new", init_lora_weights=False)
    # shrink the random update so stacked adapters stay in a sane range
    with torch.no_grad():
        for name, parameter in model.unet.named_parameters():
            if "lora_B" in name:
                parameter.mul_(0.1)
    return save_adapter(model, path, config, "new", data={"test": True})


@pytest.fixture(scope="session")
def adapter_pair(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("adapters")
    return make_adapter(tiny_model_dir, folder / "first.safetensors", 1), make_adapter(
        tiny_model_dir,
        folder / "second.safetensors",
        2,
        AdapterConfig(rank=1, alpha=3.0, target_modules=("conv1",)),
    )


@pytest.fixture
def model_input() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(5)
    channels = MAP_CHANNELS + CONDITION_CHANNELS
    return torch.randn((2, channels, TINY_SIZE_PX, TINY_SIZE_PX), generator=generator), torch.tensor(
        [10, 500]
    )


def run(model: ShapeDiffusion, model_input: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    with torch.no_grad():
        return model.unet(*model_input).sample
