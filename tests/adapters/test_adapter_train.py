"""Adapter training on a tiny base: the loss falls, the file loads and predicts, runs resume."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from lift3d.errors import OptionError
from lift3d.generate.adapters.config import AdapterConfig
from lift3d.generate.adapters.files import adapter_info, load_adapter, set_adapter_weights
from lift3d.training.adapter_data import synthetic_pairs
from lift3d.training.adapters import train_adapter, training_loss
from lift3d.types import Cutout
from tests.adapters.conftest import TINY_SIZE_PX

CONFIG = AdapterConfig(
    steps=30,
    batch_size=4,
    learning_rate=5e-3,
    warmup_steps=2,
    heldout_fraction=0.25,
    checkpoint_every=10,
    style="sketch",
)


@pytest.fixture(scope="module")
def sketch_pairs():
    return synthetic_pairs(8, "sketch", TINY_SIZE_PX, progress=False)


def fixed_loss(model, pairs) -> float:
    """The training loss on all pairs at fixed noise, so two weights compare fairly."""
    with torch.no_grad():
        return float(
            training_loss(model, pairs.condition, pairs.maps, CONFIG, torch.Generator().manual_seed(3))
        )


def test_train_save_load_predict(tiny_model_dir, tiny_model, sketch_pairs, tmp_path):
    result = train_adapter(
        tiny_model_dir, sketch_pairs, CONFIG, tmp_path / "sketch-run", progress=False, mesh_samples=1
    )
    info = adapter_info(result.path)
    assert info.style == "sketch" and info.base_weights_sha256 == tiny_model.weights_hash
    assert {"map_l1_base", "map_l1_adapted", "fscore_005_base", "fscore_005_adapted"} <= set(info.metrics)
    assert json.loads((tmp_path / "sketch-run" / "options.json").read_text())["config"]["rank"] == CONFIG.rank

    name = load_adapter(tiny_model, result.path)
    adapted = fixed_loss(tiny_model, sketch_pairs)
    set_adapter_weights(tiny_model, {name: 0.0})
    base = fixed_loss(tiny_model, sketch_pairs)
    assert adapted < base

    set_adapter_weights(tiny_model, {name: 1.0})
    rgb = (sketch_pairs.condition[0, :3].float().numpy().transpose(1, 2, 0) + 1) / 2
    mask = sketch_pairs.condition[0, 3].float().numpy() > 0
    maps = tiny_model.predict(Cutout(rgb=rgb, mask=mask, crop_box=(0, 0, 16, 16), source="t"), steps=2)
    assert np.isfinite(maps.front_z).all() and maps.front_z.shape == (TINY_SIZE_PX, TINY_SIZE_PX)

    # running the same command again resumes from the final checkpoint and changes nothing
    before = load_file(result.path)
    again = train_adapter(
        tiny_model_dir, sketch_pairs, CONFIG, tmp_path / "sketch-run", progress=False, mesh_samples=0
    )
    after = load_file(again.path)
    assert all(torch.equal(before[key], after[key]) for key in before)
    with pytest.raises(OptionError, match="other settings"):
        train_adapter(
            tiny_model_dir, sketch_pairs, AdapterConfig(steps=31), tmp_path / "sketch-run", progress=False
        )


def test_interrupted_run_resumes_exactly(tiny_model_dir, sketch_pairs, tmp_path):
    config = AdapterConfig(steps=6, batch_size=2, checkpoint_every=3, heldout_fraction=0.0)
    whole = train_adapter(tiny_model_dir, sketch_pairs, config, tmp_path / "whole", progress=False)
    # a run stopped after its step-3 checkpoint: copy that state and continue it (both
    # runs are still in the 20-step warm-up, so their learning rates agree step by step)
    halfway = train_adapter(
        tiny_model_dir,
        sketch_pairs,
        AdapterConfig(steps=3, batch_size=2, checkpoint_every=3, heldout_fraction=0.0),
        tmp_path / "half",
        progress=False,
    )
    progress_file = halfway.path.parent / "checkpoint" / "progress.json"
    progress = json.loads(progress_file.read_text())
    progress["config"] = json.loads((tmp_path / "whole" / "options.json").read_text())
    progress_file.write_text(json.dumps(progress))
    resumed_dir = tmp_path / "whole-resumed"
    halfway.path.parent.rename(resumed_dir)
    resumed = train_adapter(tiny_model_dir, sketch_pairs, config, resumed_dir, progress=False)
    expected, found = load_file(whole.path), load_file(resumed.path)
    assert all(torch.allclose(expected[key], found[key], atol=1e-6) for key in expected)


def test_the_adapter_kept_is_the_best_checkpoint_on_heldout_data(tiny_model_dir, sketch_pairs, tmp_path):
    # A rate this high makes training wander: later checkpoints are not the best ones.
    config = AdapterConfig(
        steps=40, batch_size=4, learning_rate=0.5, warmup_steps=0, heldout_fraction=0.25, checkpoint_every=5
    )
    result = train_adapter(
        tiny_model_dir, sketch_pairs, config, tmp_path / "wild", progress=False, mesh_samples=0
    )
    log = [json.loads(line) for line in (tmp_path / "wild" / "log.jsonl").read_text().splitlines()]
    errors = {row["step"]: row["heldout_map_l1"] for row in log if "heldout_map_l1" in row}
    assert sorted(errors) == list(range(5, 41, 5))
    kept = result.metrics["kept_step"]
    assert result.metrics["map_l1_adapted"] == pytest.approx(
        min(errors.values()) if kept else result.metrics["map_l1_base"], abs=1e-4
    )
    assert result.metrics["map_l1_adapted"] <= result.metrics["map_l1_base"]
    assert result.metrics["map_l1_adapted"] < errors[40]  # the last checkpoint was not kept


def test_the_command_says_which_checkpoint_it_kept(tiny_model_dir, tmp_path, capsys):
    from lift3d.cli import main

    args = ["adapter", "train", "--synthetic", "8", "--style", "sketch", "--model", str(tiny_model_dir)]
    args += ["--out", str(tmp_path / "run"), "--steps", "200", "--lr", "0.5", "--heldout", "0.25", "--quiet"]
    assert main(args) == 0
    said = capsys.readouterr().err
    kept = json.loads((tmp_path / "run" / "adapter.json").read_text())["metrics"]["kept_step"]
    if kept == 0:
        assert "saved untrained" in said
    else:
        assert kept in (100, 200) and (kept == 200 or f"from step {kept}," in said)
