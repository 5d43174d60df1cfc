"""Provenance: the API's typed record is merged into what the stages wrote, with the values actually used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lift3d.api import ConvertOptions, convert, load_converter, save
from lift3d.generate.diffusion.weights import shipped_model_dir
from lift3d.provenance import merge_records


def test_the_asset_stages_record_survives_and_the_resolved_values_are_added(
    picture: Path, tmp_path: Path
) -> None:
    asset = convert(picture, generator="inflate", max_faces=1500, texture_px=64, seed=7)
    written = save(asset, tmp_path / "egg.glb")
    record = json.loads(written[-1].read_text())
    # the keys readers already use
    assert record["source"] == str(picture) and record["seed"] == 7 and record["input_kind"]
    assert record["options"]["max_faces"] == 1500 and record["model"]["generator"] == "inflate"
    # what the asset stage recorded is no longer replaced
    assert record["faces_out"] <= 1500 and "bake" in asset.provenance["timings_s"]
    assert "timings_s" not in record  # measurements stay in memory: the same input writes the same bytes
    assert record["asset_options"]["texture_px"] == 64
    # what actually ran
    assert record["resolved"] == {"generator": "inflate", "steps": None, "ensemble": None, "adapters": []}


def test_an_empty_generator_is_recorded_as_the_one_that_ran(picture: Path) -> None:
    asset = convert(picture, max_faces=1500, texture_px=64, ensemble=1, auto_adapter=False)
    expected = "diffusion" if shipped_model_dir() else "inflate"
    assert asset.provenance["resolved"]["generator"] == expected


@pytest.mark.skipif(shipped_model_dir() is None, reason="the shipped diffusion model is not installed")
def test_diffusion_defaults_are_resolved_to_numbers() -> None:
    converter = load_converter("diffusion")
    plain = converter.resolved(ConvertOptions(generator="diffusion"))
    several = converter.resolved(ConvertOptions(generator="diffusion", variants=3))
    assert plain.steps >= 1 and plain.ensemble >= 1
    assert several.ensemble == 1 and several.steps > plain.steps


def test_merging_keeps_both_records_and_refuses_a_contradiction() -> None:
    merged = merge_records(
        {"timings_s": {"bake": 1.0}, "faces_out": 10}, {"timings_s": {"hull": 2.0}, "seed": 0}
    )
    assert merged == {"timings_s": {"bake": 1.0, "hull": 2.0}, "faces_out": 10, "seed": 0}
    with pytest.raises(ValueError, match="seed"):
        merge_records({"seed": 1}, {"seed": 2})
