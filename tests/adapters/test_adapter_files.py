"""Adapter files: loading changes the output, weights, unload, reload, stacking, merge, fuse, limits."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from lift3d.errors import ModelError, OptionError
from lift3d.generate.adapters.config import AdapterConfig
from lift3d.generate.adapters.files import (
    MAX_PARAMETER_SHARE,
    MAX_SAVED_BYTES,
    adapter_bytes,
    adapter_info,
    adapter_record,
    adapter_state,
    attach_lora,
    base_parameter_count,
    fuse_adapter,
    load_adapter,
    loaded_adapters,
    merge_adapters,
    parse_adapter_spec,
    read_adapter,
    save_adapter,
    set_adapter_weights,
    unload_adapter,
    with_adapters,
)
from lift3d.generate.diffusion.model import build_unet
from lift3d.generate.diffusion.pipeline import ShapeDiffusion, noise_schedule, sampling_scheduler
from tests.adapters.conftest import run


def test_adapter_changes_output_and_weight_zero_is_exactly_base(tiny_model, adapter_pair, model_input):
    base = run(tiny_model, model_input)
    name = load_adapter(tiny_model, adapter_pair[0])
    adapted = run(tiny_model, model_input)
    assert (adapted - base).abs().max() > 1e-3
    set_adapter_weights(tiny_model, {name: 0.0})
    assert torch.equal(run(tiny_model, model_input), base)


def test_save_unload_reload_gives_the_same_output(tiny_model, adapter_pair, model_input, tmp_path):
    base = run(tiny_model, model_input)
    name = load_adapter(tiny_model, adapter_pair[0])
    adapted = run(tiny_model, model_input)
    copy_path = tmp_path / "again.safetensors"
    save_adapter(tiny_model, copy_path, AdapterConfig(rank=2, alpha=2.0), name)
    unload_adapter(tiny_model)
    assert loaded_adapters(tiny_model) == {}
    assert torch.equal(run(tiny_model, model_input), base)
    load_adapter(tiny_model, copy_path)
    assert torch.allclose(run(tiny_model, model_input), adapted, atol=1e-6)


def test_stacked_adapters_differ_from_each_alone_and_unload_one(tiny_model, adapter_pair, model_input):
    first = load_adapter(tiny_model, adapter_pair[0], 0.7)
    only_first = run(tiny_model, model_input)
    second = load_adapter(tiny_model, adapter_pair[1], 0.5)
    both = run(tiny_model, model_input)
    set_adapter_weights(tiny_model, {first: 0.0})
    only_second = run(tiny_model, model_input)
    assert (both - only_first).abs().max() > 1e-4
    assert (both - only_second).abs().max() > 1e-4
    set_adapter_weights(tiny_model, {first: 0.7})
    unload_adapter(tiny_model, second)
    assert list(loaded_adapters(tiny_model)) == [first]
    assert torch.allclose(run(tiny_model, model_input), only_first, atol=1e-6)


def test_with_adapters_leaves_the_shared_model_untouched(tiny_model, adapter_pair, model_input):
    base = run(tiny_model, model_input)
    adapted = with_adapters(tiny_model, ((str(adapter_pair[0]), 1.0),))
    assert (run(adapted, model_input) - base).abs().max() > 1e-3
    assert torch.equal(run(tiny_model, model_input), base)
    assert loaded_adapters(tiny_model) == {}


def test_adapter_for_another_base_is_refused_naming_both_hashes(adapter_pair, tmp_path):
    torch.manual_seed(99)
    other = build_unet(16, (32, 64))
    ShapeDiffusion(other, sampling_scheduler(noise_schedule()), {}).save_pretrained(tmp_path / "other")
    model = ShapeDiffusion.from_pretrained(tmp_path / "other")
    expected = adapter_info(adapter_pair[0]).base_weights_sha256
    with pytest.raises(ModelError, match=f"{expected}.*{model.weights_hash}"):
        load_adapter(model, adapter_pair[0])


def _rewrite_header(path: Path, header: dict, data: bytes) -> None:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)


def _hostile_files(good: Path, folder: Path) -> dict[str, Path]:
    raw = good.read_bytes()
    length = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + length])
    data = raw[8 + length :]
    cases = {}
    cases["truncated"] = raw[: len(raw) // 2]
    cases["not safetensors"] = b"PK\x03\x04 this is a zip file, not an adapter"
    cases["huge header length"] = struct.pack("<Q", 2**62) + raw[8:]
    cases["header not json"] = struct.pack("<Q", 8) + b"\xff\xfe{{{{{{" + data
    files = {name: folder / f"{index}.safetensors" for index, name in enumerate(cases)}
    for name, content in cases.items():
        files[name].write_bytes(content)
    first = next(key for key in header if key != "__metadata__")
    huge = json.loads(json.dumps(header))
    huge[first]["shape"] = [2**20, 2**20]
    _rewrite_header(folder / "huge.safetensors", huge, data)
    files["huge declared tensor"] = folder / "huge.safetensors"
    no_metadata = {k: v for k, v in header.items() if k != "__metadata__"}
    _rewrite_header(folder / "plain.safetensors", no_metadata, data)
    files["no metadata"] = folder / "plain.safetensors"
    return files


def test_corrupt_and_hostile_files_give_one_line_model_errors(tiny_model, adapter_pair, tmp_path):
    for case, path in _hostile_files(adapter_pair[0], tmp_path).items():
        with pytest.raises(ModelError) as caught:
            load_adapter(tiny_model, path)
        assert "\n" not in str(caught.value), case
        assert path.name in str(caught.value), case
    assert loaded_adapters(tiny_model) == {}


def test_wrong_tensor_names_shapes_or_values_are_refused(tiny_model, adapter_pair, tmp_path, model_input):
    tensors, _ = read_adapter(adapter_pair[0])
    record = adapter_record(tiny_model, AdapterConfig(rank=2, alpha=2.0), "x")
    first = sorted(tensors)[0]
    renamed = {("evil." + k if k == first else k): v for k, v in tensors.items()}
    reshaped = {k: (v[:1] if k == first else v) for k, v in tensors.items()}
    poisoned = {k: (v * float("nan") if k == first else v) for k, v in tensors.items()}
    base = run(tiny_model, model_input)
    for case, content in {"renamed": renamed, "reshaped": reshaped, "nan": poisoned}.items():
        path = tmp_path / f"{case}.safetensors"
        path.write_bytes(adapter_bytes(content, record))
        with pytest.raises(ModelError, match=path.name):
            load_adapter(tiny_model, path)
    assert loaded_adapters(tiny_model) == {}
    assert torch.equal(run(tiny_model, model_input), base)
    save_file({"x": torch.zeros(2, 2)}, tmp_path / "foreign.safetensors")
    with pytest.raises(ModelError, match="foreign.safetensors"):
        load_adapter(tiny_model, tmp_path / "foreign.safetensors")


def test_merged_file_equals_the_stacked_adapters(
    tiny_model, tiny_model_dir, adapter_pair, model_input, tmp_path
):
    load_adapter(tiny_model, adapter_pair[0], 0.6)
    load_adapter(tiny_model, adapter_pair[1], -0.4)
    stacked = run(tiny_model, model_input)
    merged = merge_adapters(list(adapter_pair), [0.6, -0.4], tmp_path / "merged.safetensors")
    fresh = ShapeDiffusion.from_pretrained(tiny_model_dir)
    load_adapter(fresh, merged)
    assert torch.allclose(run(fresh, model_input), stacked, atol=1e-5)
    info = adapter_info(merged)
    assert info.rank == 3 and info.data["merged_from"][1]["weight"] == -0.4


def test_fused_model_equals_base_plus_adapter(
    tiny_model, tiny_model_dir, adapter_pair, model_input, tmp_path
):
    load_adapter(tiny_model, adapter_pair[0], 0.8)
    expected = run(tiny_model, model_input)
    out = fuse_adapter(tiny_model_dir, [(str(adapter_pair[0]), 0.8)], tmp_path / "fused")
    fused = ShapeDiffusion.from_pretrained(out)
    assert torch.allclose(run(fused, model_input), expected, atol=1e-5)
    assert not any("lora" in name for name in fused.unet.state_dict())
    assert fused.record["fused_adapters"][0]["weight"] == 0.8
    with pytest.raises(ModelError, match="trained for base model"):
        load_adapter(fused, adapter_pair[0])


def test_default_adapter_on_the_default_base_is_small(tmp_path):
    torch.manual_seed(0)
    model = ShapeDiffusion(build_unet(), sampling_scheduler(noise_schedule()), {}, weights_hash="0" * 16)
    config = AdapterConfig()
    attach_lora(model, config, "style")
    path = save_adapter(model, tmp_path / "style.safetensors", config, "style")
    parameters = sum(t.numel() for t in adapter_state(model, "style").values())
    assert path.stat().st_size <= MAX_SAVED_BYTES
    assert parameters / base_parameter_count(model) <= MAX_PARAMETER_SHARE
    assert adapter_info(path).parameters == parameters


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("toon", ("toon", 1.0)),
        ("toon:0.5", ("toon", 0.5)),
        ("a/b.safetensors:-1", ("a/b.safetensors", -1.0)),
        ("C:\\x.safetensors", ("C:\\x.safetensors", 1.0)),
    ],
)
def test_adapter_spec_parsing(text, expected):
    assert parse_adapter_spec(text) == expected


def test_out_of_range_weight_and_unknown_name_are_option_and_model_errors(tiny_model, adapter_pair):
    with pytest.raises(OptionError):
        parse_adapter_spec("toon:9")
    with pytest.raises(ModelError, match="no-such-adapter"):
        load_adapter(tiny_model, "no-such-adapter")


def test_shipped_adapters_are_listed_and_found_by_name(adapter_pair, tiny_model, tmp_path, monkeypatch):
    from lift3d.generate.adapters import files

    shipped = tmp_path / "adapters"
    shipped.mkdir()
    (shipped / "toon.safetensors").write_bytes(adapter_pair[0].read_bytes())
    monkeypatch.setattr(files, "SHIPPED_ADAPTERS", shipped)
    assert [info.name for info in files.list_adapters()] == ["toon"]
    assert "rank 2" in files.list_adapters()[0].summary()
    load_adapter(tiny_model, "toon", 0.5)
    assert list(loaded_adapters(tiny_model).values()) == [0.5]


def test_adapter_lists_from_strings_and_pairs():
    from lift3d.generate.adapters.files import parse_adapter_specs

    assert parse_adapter_specs("toon:0.5, sketch") == (("toon", 0.5), ("sketch", 1.0))
    assert parse_adapter_specs([("toon", 0.25)]) == (("toon", 0.25),)
    assert parse_adapter_specs("") == ()
    with pytest.raises(OptionError, match="shipped adapter names"):
        parse_adapter_specs("../../etc/evil.safetensors", names_only=True)


def test_remote_requests_may_name_only_shipped_adapters():
    from lift3d.generate.adapters.files import shipped_adapter_specs

    with pytest.raises(OptionError, match="adapters: unknown adapter 'wood'"):
        shipped_adapter_specs("wood:0.5")
