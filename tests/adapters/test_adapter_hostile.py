"""Hostile adapter metadata and weights: one-line refusals, and `adapter info` agrees with convert (issue 19)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from lift3d.cli import main
from lift3d.errors import ModelError
from lift3d.generate.adapters.files import adapter_bytes, check_adapter, load_adapter, read_adapter
from tests.fuzz_settings import fuzz


def split(path: Path) -> tuple[dict, bytes]:
    raw = path.read_bytes()
    length = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8 : 8 + length]), raw[8 + length :]


def write(path: Path, header_text: str, data: bytes) -> Path:
    raw = header_text.encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


def with_record(good: Path, path: Path, record_text: str) -> Path:
    """The good adapter with its metadata record replaced by `record_text` (raw JSON, any content)."""
    header, data = split(good)
    header["__metadata__"]["lift3d_adapter"] = record_text
    return write(path, json.dumps(header), data)


def edited_record(good: Path, path: Path, **changes: object) -> Path:
    header, _ = split(good)
    record = json.loads(header["__metadata__"]["lift3d_adapter"])
    record.update(changes)
    return with_record(good, path, json.dumps(record))


def hostile_metadata(good: Path, folder: Path) -> dict[str, Path]:
    header, data = split(good)
    record_text = header["__metadata__"]["lift3d_adapter"]
    deep = "[" * 100_000 + "]" * 100_000
    cases = {
        "deep header": write(folder / "deep_header.safetensors", '{"a": ' + deep + "}", data),
        "deep record": with_record(good, folder / "deep_record.safetensors", deep),
        "record not an object": with_record(good, folder / "list.safetensors", "[1, 2]"),
        "data is a number": edited_record(good, folder / "data.safetensors", data=5),
        "metrics is a list": edited_record(good, folder / "metrics.safetensors", metrics=[1, 2]),
        "rank overflows": with_record(
            good, folder / "rank_inf.safetensors", record_text.replace('"rank": 2', '"rank": 1e999')
        ),
        "rank absurd": edited_record(good, folder / "rank_big.safetensors", rank=10**9),
        "rank fractional": edited_record(good, folder / "rank_half.safetensors", rank=2.5),
        "alpha absurd": edited_record(good, folder / "alpha_big.safetensors", alpha=1e300),
        "alpha nan": with_record(
            good, folder / "alpha_nan.safetensors", record_text.replace('"alpha": 2.0', '"alpha": NaN')
        ),
        "targets not names": edited_record(good, folder / "targets.safetensors", target_modules=[1, {}]),
        "base not an object": edited_record(good, folder / "base.safetensors", base_model="x"),
    }
    assert '"rank": 2' in record_text and '"alpha": 2.0' in record_text
    return cases


def hostile_weights(good: Path, folder: Path) -> dict[str, Path]:
    tensors, _ = read_adapter(good)
    header, data = split(good)
    record = json.loads(header["__metadata__"]["lift3d_adapter"])
    names = sorted(tensors)
    nan = {k: (v * float("nan") if k == names[0] else v) for k, v in tensors.items()}
    module = names[0].rpartition(".lora_")[0]
    key_a, key_b = f"{module}.lora_A.weight", f"{module}.lora_B.weight"
    swapped = {**tensors, key_a: tensors[key_b].clone(), key_b: tensors[key_a].clone()}
    cases = {
        "nan weights": folder / "nan.safetensors",
        "swapped shapes": folder / "swapped.safetensors",
    }
    cases["nan weights"].write_bytes(adapter_bytes(nan, record))
    cases["swapped shapes"].write_bytes(adapter_bytes(swapped, record))
    # Overlapping offsets: the second tensor in the file starts 4 bytes inside the first.
    entries = sorted(
        (key for key in header if key != "__metadata__"), key=lambda key: header[key]["data_offsets"][0]
    )
    begin, end = header[entries[1]]["data_offsets"]
    header[entries[1]]["data_offsets"] = [begin - 4, end - 4]
    cases["overlapping offsets"] = write(folder / "overlap.safetensors", json.dumps(header), data)
    cases["another base"] = edited_record(
        good, folder / "other_base.safetensors", base_model={"model": "x", "weights_sha256": "f" * 16}
    )
    return cases


def test_hostile_metadata_gives_one_line_model_errors(adapter_pair, tiny_model, tmp_path) -> None:
    for case, path in hostile_metadata(adapter_pair[0], tmp_path).items():
        with pytest.raises(ModelError) as caught:
            load_adapter(tiny_model, path)
        message = str(caught.value)
        assert "\n" not in message and path.name in message and len(message) < 300, (case, message)


def test_adapter_info_exits_non_zero_on_every_file_convert_refuses(
    adapter_pair, tiny_model, tiny_model_dir, tmp_path, capsys
) -> None:
    model = ["--model", str(tiny_model_dir)]
    assert main(["adapter", "info", str(adapter_pair[0]), *model]) == 0
    assert json.loads(capsys.readouterr().out)["rank"] == 2
    cases = {**hostile_metadata(adapter_pair[0], tmp_path), **hostile_weights(adapter_pair[0], tmp_path)}
    for case, path in cases.items():
        with pytest.raises(ModelError):  # what convert does with it
            load_adapter(tiny_model, path)
        assert main(["adapter", "info", str(path), *model]) == 4, case
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and path.name in error, (case, error)


def test_check_adapter_names_the_problem(adapter_pair, tiny_model_dir, tmp_path) -> None:
    cases = hostile_weights(adapter_pair[0], tmp_path)
    expected = {
        "nan weights": "non-finite",
        "swapped shapes": "not rank 2",
        "overlapping offsets": "overlap",
        "another base": "ffffffffffffffff",
    }
    for case, words in expected.items():
        with pytest.raises(ModelError, match=words):
            check_adapter(cases[case], tiny_model_dir)
    assert check_adapter(adapter_pair[0], tiny_model_dir).rank == 2
    assert torch.is_tensor(next(iter(read_adapter(adapter_pair[0])[0].values())))


@fuzz(40)
@given(data=st.data())
def test_fuzzed_adapter_files_give_a_check_or_one_model_error(adapter_pair, tiny_model_dir, data) -> None:
    """Random bytes overwritten anywhere in a good adapter (header, metadata, weights)."""
    import tempfile

    raw = bytearray(adapter_pair[0].read_bytes())
    header_end = 8 + struct.unpack("<Q", raw[:8])[0]
    for _ in range(data.draw(st.integers(1, 6))):
        # Mostly the header and metadata, where the parsing is; sometimes the weights.
        limit = header_end if data.draw(st.booleans()) else len(raw)
        raw[data.draw(st.integers(0, limit - 1))] = data.draw(st.integers(0, 255))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.safetensors"
        path.write_bytes(bytes(raw))
        try:
            check_adapter(path, tiny_model_dir)
        except ModelError as error:
            assert "\n" not in str(error)
