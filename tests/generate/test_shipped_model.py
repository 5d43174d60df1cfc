"""The shipped diffusion model: it loads from the package and converts a bundled sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lift3d.api import Converter, ConvertOptions
from lift3d.evaluate import is_watertight
from lift3d.generate.diffusion.weights import load_shape_model, shipped_model_dir

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_the_shipped_model_is_installed() -> None:
    folder = shipped_model_dir()
    assert folder is not None, "src/lift3d/weights/shape-diffusion is missing its safetensors"
    weights = folder / "unet" / "diffusion_pytorch_model.safetensors"
    assert weights.stat().st_size < 50 * 2**20
    model = load_shape_model()
    assert model is load_shape_model()  # warm: a second call does not reload
    assert model.record["train_samples"] > 0


def test_the_shipped_model_converts_the_sample_to_a_watertight_asset() -> None:
    converter = Converter("diffusion")
    options = ConvertOptions(generator="diffusion", max_faces=5000, texture_px=256, steps=4, variants=2)
    assets = converter.convert(SAMPLES / "vase.png", options)
    assert len(assets) == 2
    for asset in assets:
        assert is_watertight(asset.mesh)
        assert asset.provenance["model"]["weights_sha256"]
    # Different seeds give different plausible shapes.
    a, b = (np.asarray(asset.mesh.extents) for asset in assets)
    assert not np.allclose(a, b, rtol=1e-6)
