"""Automatic adapters: a detected line drawing gets the shipped `sketch` adapter, and says so."""

from __future__ import annotations

import pytest

from lift3d.api import Converter, ConvertOptions
from lift3d.cli import adapter_note
from lift3d.data.synth import generate_sample
from lift3d.evaluate.heldout import rendered_picture
from tests.adapters.test_adapter_detect import hand_drawing


@pytest.fixture
def shipped_sketch(adapter_pair, tmp_path, monkeypatch):
    from lift3d.generate.adapters import files

    shipped = tmp_path / "adapters"
    shipped.mkdir()
    (shipped / "sketch.safetensors").write_bytes(adapter_pair[0].read_bytes())
    monkeypatch.setattr(files, "SHIPPED_ADAPTERS", shipped)


def test_line_drawing_gets_the_sketch_adapter_and_the_note_names_it(tiny_model_dir, shipped_sketch):
    converter = Converter("diffusion", tiny_model_dir)
    options = ConvertOptions(generator="diffusion", texture_px=64, cutout_px=128, grid_px=64)
    asset = converter.convert(hand_drawing()[0], options)[0]
    assert asset.provenance["input_kind"] == "sketch"
    assert asset.provenance["options"]["adapters"] == (("sketch", 1.0),)
    (loaded,) = asset.provenance["model"]["adapters"]
    assert loaded["name"].endswith("sketch") and loaded["weight"] == 1.0
    note = adapter_note("sketch", options, asset.provenance)
    assert "using the shipped 'sketch' adapter" in note and "--no-auto-adapter" in note


def test_auto_adapter_off_or_another_kind_keeps_the_base(tiny_model_dir, shipped_sketch):
    converter = Converter("diffusion", tiny_model_dir)
    off = ConvertOptions(generator="diffusion", texture_px=64, cutout_px=128, grid_px=64, auto_adapter=False)
    assert converter.convert(hand_drawing()[0], off)[0].provenance["options"]["adapters"] == ()
    render = rendered_picture(generate_sample(3))
    on = ConvertOptions(generator="diffusion", texture_px=64, cutout_px=128, grid_px=64)
    asset = converter.convert(render, on)[0]
    assert asset.provenance["input_kind"] == "render"
    assert asset.provenance["options"]["adapters"] == ()
    assert "adapters" not in asset.provenance["model"]


def test_inflate_on_a_drawing_suggests_the_adapter(shipped_sketch):
    options = ConvertOptions(generator="inflate")
    note = adapter_note("sketch", options, {"options": {"adapters": ()}})
    assert "--adapter sketch" in note
