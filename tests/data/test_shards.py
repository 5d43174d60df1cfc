"""Shards: write -> read round trips, synthesize writes an index and resumes."""

import json
import zipfile

import numpy as np
import pytest

from lift3d.data.shards import iter_samples, list_shards, read_index, read_shard, write_shard
from lift3d.data.synth import FAMILY_NAMES, generate_sample, synthesize
from lift3d.errors import InputError


@pytest.fixture(scope="module")
def samples():
    return [generate_sample(seed, size=32) for seed in range(3)]


def assert_same_sample(read, original):
    np.testing.assert_array_equal(read.rgba, original.rgba)
    np.testing.assert_allclose(read.front_z, original.front_z, atol=2e-3)  # stored as float16
    np.testing.assert_allclose(read.back_z, original.back_z, atol=2e-3)
    np.testing.assert_array_equal(read.vertices, original.vertices)
    np.testing.assert_array_equal(read.faces, original.faces)
    assert read.family == original.family and read.seed == original.seed


@pytest.mark.parametrize("compress", [True, False])
def test_shard_round_trip(tmp_path, samples, compress):
    path = tmp_path / "shard_00000.npz"
    write_shard(path, samples, FAMILY_NAMES, compress=compress)
    for mmap in (False, True):
        arrays = read_shard(path, mmap=mmap)
        assert len(arrays) == len(samples)
        assert arrays.rgba.shape == (3, 32, 32, 4) and arrays.rgba.dtype == np.uint8
        assert arrays.front_z.dtype == np.float16 and arrays.seeds.dtype == np.int64
        assert arrays.family.dtype == np.int16
        assert arrays.vertices.dtype == np.float32 and arrays.faces.dtype == np.int32
        if mmap and not compress:
            assert isinstance(arrays.rgba, np.memmap)
        for i, original in enumerate(samples):
            assert_same_sample(arrays.sample(i), original)
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_shard_refuses_pickles_and_missing_arrays(tmp_path):
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, rgba=np.array([{"a": 1}], dtype=object))
    with pytest.raises(InputError, match="pickled.npz"):
        read_shard(pickled)
    partial = tmp_path / "partial.npz"
    np.savez(partial, rgba=np.zeros((1, 4, 4, 4), np.uint8))
    with pytest.raises(InputError, match="lacks arrays"):
        read_shard(partial)
    with pytest.raises(InputError):
        read_shard(tmp_path / "missing.npz")


def test_synthesize_writes_shards_index_and_resumes(tmp_path, samples):
    out = synthesize(tmp_path / "set", n=5, seed=0, size=32, shard_size=2, workers=1, progress=False)
    shards = list_shards(out)
    assert [path.name for path in shards] == ["shard_00000.npz", "shard_00001.npz", "shard_00002.npz"]
    index = read_index(out)
    assert index.complete and index.count == 5 and index.size == 32
    assert index.families == FAMILY_NAMES and index.bytes_on_disk > 0
    assert json.loads((out / "index.json").read_text())["version"] == 1
    streamed = list(iter_samples(out))
    assert [sample.seed for sample in streamed] == [0, 1, 2, 3, 4]
    for read, original in zip(streamed, samples, strict=False):
        assert_same_sample(read, original)
    with zipfile.ZipFile(shards[0]) as archive:
        assert all(not name.endswith(".pkl") for name in archive.namelist())

    stamps = [path.stat().st_mtime_ns for path in shards]
    shards[2].unlink()
    synthesize(out, n=5, seed=0, size=32, shard_size=2, workers=1, progress=False)
    assert [path.stat().st_mtime_ns for path in shards[:2]] == stamps[:2]  # kept, not rewritten
    assert shards[2].is_file()
    assert [sample.seed for sample in iter_samples(out)] == [0, 1, 2, 3, 4]


def test_synthesize_in_parallel_matches_serial(tmp_path):
    serial = synthesize(tmp_path / "one", n=4, seed=10, size=24, shard_size=4, workers=1, progress=False)
    parallel = synthesize(tmp_path / "two", n=4, seed=10, size=24, shard_size=4, workers=2, progress=False)
    first, second = read_shard(list_shards(serial)[0]), read_shard(list_shards(parallel)[0])
    np.testing.assert_array_equal(first.rgba, second.rgba)
    np.testing.assert_array_equal(first.vertices, second.vertices)
    np.testing.assert_array_equal(first.seeds, np.arange(10, 14))
