"""Shard files of synthetic samples: stacked numpy arrays in .npz (no pickles) plus index.json.

A shard `shard_00000.npz` holds, for N samples of size S:

    rgba            (N, S, S, 4) uint8    rendered picture, straight alpha
    front_z, back_z (N, S, S)    float16  depth maps, 0 off the mask
    seeds           (N,)         int64
    family          (N,)         int16    index into family_names
    family_names    (K,)         str
    vertices        (sum V, 3)   float32  all meshes, concatenated
    faces           (sum F, 3)   int32    indices local to each sample's vertices
    vertex_offsets  (N + 1,)     int64    sample i owns vertices[vertex_offsets[i]:vertex_offsets[i+1]]
    face_offsets    (N + 1,)     int64

`index.json` beside the shards records the plan (size, seeds, shard files, family
names, format version) and whether the run completed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import struct
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lift3d.errors import InputError
from lift3d.files import atomic_path, write_bytes_atomic
from lift3d.types import Sample

FORMAT_VERSION = 1
INDEX_NAME = "index.json"
SHARD_PATTERN = "shard_{:05d}.npz"


@dataclass(frozen=True)
class ShardInfo:
    file: str
    seed_start: int
    count: int


@dataclass(frozen=True)
class DatasetIndex:
    """The contents of index.json."""

    version: int
    families: tuple[str, ...]
    size: int
    seed_start: int
    count: int
    shard_size: int
    shards: tuple[ShardInfo, ...]
    complete: bool = False
    bytes_on_disk: int = 0
    deform_share: float = 0.0  # share of bent, tapered or twisted solids (absent before v2: 0)

    @classmethod
    def plan(
        cls,
        families: Sequence[str],
        size: int,
        seed_start: int,
        count: int,
        shard_size: int,
        deform_share: float = 0.0,
    ) -> DatasetIndex:
        """Split seeds into consecutive shards of `shard_size` (the last may be shorter)."""
        shards = tuple(
            ShardInfo(SHARD_PATTERN.format(k), seed_start + start, min(shard_size, count - start))
            for k, start in enumerate(range(0, count, shard_size))
        )
        return cls(
            FORMAT_VERSION,
            tuple(families),
            size,
            seed_start,
            count,
            shard_size,
            shards,
            deform_share=deform_share,
        )

    def completed(self, folder: Path | None = None) -> DatasetIndex:
        total = sum((folder / shard.file).stat().st_size for shard in self.shards) if folder else 0
        return dataclasses.replace(self, complete=True, bytes_on_disk=total)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> DatasetIndex:
        raw = json.loads(text)
        raw["families"] = tuple(raw["families"])
        raw["shards"] = tuple(ShardInfo(**shard) for shard in raw["shards"])
        return cls(**raw)


@dataclass(frozen=True)
class ShardArrays:
    """All arrays of one shard; the per-sample arrays may be memory-mapped (read-only)."""

    rgba: np.ndarray
    front_z: np.ndarray
    back_z: np.ndarray
    seeds: np.ndarray
    family: np.ndarray
    family_names: tuple[str, ...]
    vertices: np.ndarray
    faces: np.ndarray
    vertex_offsets: np.ndarray
    face_offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.seeds)

    def sample(self, i: int) -> Sample:
        """Sample `i` with its mesh, depth maps widened back to float32."""
        v0, v1 = self.vertex_offsets[i], self.vertex_offsets[i + 1]
        f0, f1 = self.face_offsets[i], self.face_offsets[i + 1]
        return Sample(
            rgba=np.array(self.rgba[i]),
            front_z=self.front_z[i].astype(np.float32),
            back_z=self.back_z[i].astype(np.float32),
            vertices=np.array(self.vertices[v0:v1], dtype=np.float32),
            faces=np.array(self.faces[f0:f1], dtype=np.int32),
            family=self.family_names[int(self.family[i])],
            seed=int(self.seeds[i]),
        )


def write_shard(
    path: str | os.PathLike, samples: Sequence[Sample], family_names: Sequence[str], compress: bool = True
) -> None:
    """Stack samples into one .npz, written atomically so a crash never leaves a torn shard.

    Compression roughly halves the size (backgrounds are zeros); uncompressed shards can
    instead be memory-mapped by `read_shard(..., mmap=True)`.
    """
    if not samples:
        raise ValueError("a shard needs at least one sample")
    names = list(family_names)
    vertex_counts = [len(sample.vertices) for sample in samples]
    face_counts = [len(sample.faces) for sample in samples]
    arrays: dict[str, np.ndarray] = {
        "rgba": np.stack([sample.rgba for sample in samples]).astype(np.uint8),
        "front_z": np.stack([sample.front_z for sample in samples]).astype(np.float16),
        "back_z": np.stack([sample.back_z for sample in samples]).astype(np.float16),
        "seeds": np.array([sample.seed for sample in samples], dtype=np.int64),
        "family": np.array([names.index(sample.family) for sample in samples], dtype=np.int16),
        "family_names": np.array(names, dtype=np.str_),
        "vertices": np.concatenate([sample.vertices for sample in samples]).astype(np.float32),
        "faces": np.concatenate([sample.faces for sample in samples]).astype(np.int32),
        "vertex_offsets": np.concatenate([[0], np.cumsum(vertex_counts)]).astype(np.int64),
        "face_offsets": np.concatenate([[0], np.cumsum(face_counts)]).astype(np.int64),
    }
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        # the stubs fear a key named allow_pickle; ours are fixed names
        if compress:
            np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]
        else:
            np.savez(handle, **arrays)  # type: ignore[arg-type]


def _memory_map_member(path: Path, info: zipfile.ZipInfo) -> np.ndarray:
    """Map an uncompressed .npy member of a zip straight from disk, without reading it."""
    with open(path, "rb") as handle:
        handle.seek(info.header_offset)
        local_header = handle.read(30)
        name_length, extra_length = struct.unpack("<HH", local_header[26:30])
        handle.seek(info.header_offset + 30 + name_length + extra_length)
        version = np.lib.format.read_magic(handle)
        read_header = (
            np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        )
        shape, fortran_order, dtype = read_header(handle)
        offset = handle.tell()
    if dtype.hasobject:
        raise InputError(f"{path} holds Python objects; shards must be plain arrays")
    if int(np.prod(shape)) == 0:
        return np.zeros(shape, dtype=dtype)
    return np.memmap(
        path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran_order else "C"
    )


def read_shard(path: str | os.PathLike, mmap: bool = False) -> ShardArrays:
    """Load a shard; with `mmap` the stored (uncompressed) arrays are mapped, not read.

    Never unpickles: object arrays are refused.
    """
    shard_path = Path(path)
    try:
        with np.load(shard_path, allow_pickle=False) as archive:
            members = {}
            if mmap:
                with zipfile.ZipFile(shard_path) as zipped:
                    for info in zipped.infolist():
                        key = info.filename.removesuffix(".npy")
                        if info.compress_type == zipfile.ZIP_STORED:
                            members[key] = _memory_map_member(shard_path, info)
            arrays = {key: members[key] if key in members else archive[key] for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, KeyError) as error:
        raise InputError(f"cannot read shard {shard_path}: {error}") from None
    fields = {field.name for field in dataclasses.fields(ShardArrays)}
    missing = fields - set(arrays)
    if missing:
        raise InputError(f"shard {shard_path} lacks arrays {sorted(missing)}")
    family_names = tuple(str(name) for name in arrays.pop("family_names"))
    return ShardArrays(
        family_names=family_names, **{name: arrays[name] for name in fields - {"family_names"}}
    )


def read_index(data_dir: str | os.PathLike) -> DatasetIndex:
    path = Path(data_dir) / INDEX_NAME
    try:
        return DatasetIndex.from_json(path.read_text())
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(f"cannot read dataset index {path}: {error}") from None


def write_index(data_dir: str | os.PathLike, index: DatasetIndex) -> None:
    write_bytes_atomic(Path(data_dir) / INDEX_NAME, index.to_json().encode())


def shard_is_complete(path: Path, shard: ShardInfo, size: int) -> bool:
    """True when `path` already holds exactly the planned seeds at this size (safe to skip)."""
    if not path.is_file():
        return False
    try:
        with np.load(path, allow_pickle=False) as archive:
            seeds = archive["seeds"]
            size_ok = archive["front_z"].shape[1:] == (size, size)
    except (OSError, ValueError, zipfile.BadZipFile, KeyError):
        return False
    expected = np.arange(shard.seed_start, shard.seed_start + shard.count)
    return size_ok and np.array_equal(seeds, expected)


def list_shards(data_dir: str | os.PathLike) -> list[Path]:
    """Shard files of a dataset in seed order (those named by index.json, else all found)."""
    folder = Path(data_dir)
    if not folder.is_dir():
        raise InputError(f"dataset folder {folder} does not exist")
    if (folder / INDEX_NAME).is_file():
        index = read_index(folder)
        return [folder / shard.file for shard in index.shards if (folder / shard.file).is_file()]
    return sorted(folder.glob("shard_*.npz"))


def iter_samples(data_dir: str | os.PathLike) -> Iterator[Sample]:
    """Every sample with its mesh, streaming one shard at a time."""
    for path in list_shards(data_dir):
        arrays = read_shard(path)
        for i in range(len(arrays)):
            yield arrays.sample(i)
