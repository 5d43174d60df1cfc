"""The shipped sketch and toon adapters: made for the shipped base, small, and used on drawings."""

from __future__ import annotations

import pytest

from lift3d.api import Converter, ConvertOptions
from lift3d.evaluate import is_watertight
from lift3d.generate.adapters.files import (
    MAX_PARAMETER_SHARE,
    MAX_SAVED_BYTES,
    base_parameter_count,
    list_adapters,
    loaded_adapters,
    with_adapters,
)
from lift3d.generate.diffusion.weights import load_shape_model
from tests.adapters.test_adapter_detect import hand_drawing


@pytest.mark.parametrize("name", ["sketch", "toon"])
def test_shipped_adapter_fits_the_shipped_base_and_the_limits(name):
    base = load_shape_model()
    info = {adapter.name: adapter for adapter in list_adapters()}[name]
    assert info.base_weights_sha256 == base.weights_hash
    assert info.size_bytes <= MAX_SAVED_BYTES
    assert info.parameters / base_parameter_count(base) <= MAX_PARAMETER_SHARE
    assert info.style == name and info.metrics  # it says how it was measured
    assert list(loaded_adapters(with_adapters(base, ((name, 0.5),))).values()) == [0.5]


def test_a_hand_drawn_sketch_converts_with_the_sketch_adapter_to_a_watertight_asset():
    converter = Converter("diffusion")
    options = ConvertOptions(generator="diffusion", max_faces=5000, texture_px=256)
    asset = converter.convert(hand_drawing()[0], options)[0]
    assert asset.provenance["options"]["adapters"] == (("sketch", 1.0),)
    assert is_watertight(asset.mesh)
