"""Adapter files: one .safetensors of LoRA weights + metadata; load, stack, unload, merge, fuse.

An adapter is tied to the exact base weights it was trained on (their sha256 from
`ShapeDiffusion.identity`); loading it on any other model is refused. Files are
checked before torch sees them, so a hostile header cannot make us allocate much.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import re
import shutil
import tempfile
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes

import lift3d
from lift3d.errors import ModelError, OptionError, OutputError
from lift3d.files import write_bytes_atomic
from lift3d.generate.adapters.config import AdapterConfig
from lift3d.generate.diffusion.pipeline import ShapeDiffusion

FORMAT = "lift3d-lora"
FORMAT_VERSION = 1
SHIPPED_ADAPTERS = Path(__file__).resolve().parents[2] / "weights" / "adapters"

# Limits on files we are asked to read: an adapter for this model family is a few MB;
# anything far bigger, or a header declaring more, is refused before allocation.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_HEADER_BYTES = 1024 * 1024
MAX_TENSORS = 4096
# Limits on what we ship: asserted by the tests and checked when saving.
MAX_SAVED_BYTES = 5 * 1024 * 1024
MAX_PARAMETER_SHARE = 0.02

_DTYPE_BYTES = {"F32": 4, "F16": 2, "BF16": 2}
_WEIGHT_RANGE = (-4.0, 4.0)
# Where a model keeps the weight of each loaded adapter (an attribute of its UNet, so
# copies of the model carry their own).
_WEIGHTS_ATTRIBUTE = "lift3d_adapter_weights"
_FILES_ATTRIBUTE = "lift3d_adapter_files"


@dataclass(frozen=True)
class AdapterInfo:
    """What an adapter file says about itself, for `lift3d adapter info/list` and provenance."""

    name: str
    path: str
    style: str
    rank: int
    alpha: float
    target_modules: tuple[str, ...]
    base_weights_sha256: str
    base_model: str
    parameters: int
    size_bytes: int
    sha256: str  # of the adapter file itself, first 16 hex digits
    lift3d_version: str
    data: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)

    def summary(self) -> str:
        """One line for listings."""
        return (
            f"{self.name}: style {self.style}, rank {self.rank}, {self.parameters:,} parameters, "
            f"{self.size_bytes / 1024:.0f} KiB, base {self.base_weights_sha256}"
        )

    def as_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------------------------- reading


def _fail(path: Path, reason: str) -> ModelError:
    return ModelError(f"adapter {path.name} is not a valid lift3d adapter: {reason}")


def _read_header(path: Path) -> tuple[dict, dict, int]:
    """The safetensors header, checked: (tensor entries, metadata, file size)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _fail(path, f"{size} bytes is more than the {MAX_FILE_BYTES} an adapter may have")
        with path.open("rb") as stream:
            head = stream.read(8)
            if len(head) < 8:
                raise _fail(path, "file is too short")
            header_bytes = int.from_bytes(head, "little")
            if header_bytes > MAX_HEADER_BYTES or 8 + header_bytes > size:
                raise _fail(path, f"header declares {header_bytes} bytes")
            header = json.loads(stream.read(header_bytes).decode("utf-8"))
    except OSError as error:
        raise ModelError(f"cannot read adapter {path}: {error.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _fail(path, "header is not JSON") from None
    except RecursionError:
        raise _fail(path, "header JSON is nested too deeply") from None
    if not isinstance(header, dict):
        raise _fail(path, "header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise _fail(path, f"no {FORMAT} metadata")
    if not 0 < len(header) <= MAX_TENSORS:
        raise _fail(path, f"{len(header)} tensors")
    data_bytes = size - 8 - header_bytes
    end_max = 0
    spans: list[tuple[int, int, str]] = []
    for name, entry in header.items():
        if not isinstance(entry, dict) or entry.get("dtype") not in _DTYPE_BYTES:
            raise _fail(path, f"tensor {name!r} has an unsupported type")
        shape, offsets = entry.get("shape"), entry.get("data_offsets")
        if not (
            isinstance(shape, list)
            and len(shape) in (2, 4)
            and all(isinstance(n, int) and 0 < n <= 1 << 20 for n in shape)
        ):
            raise _fail(path, f"tensor {name!r} has shape {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(n, int) for n in offsets)):
            raise _fail(path, f"tensor {name!r} has bad offsets")
        begin, end = offsets
        if (
            not 0 <= begin <= end <= data_bytes
            or end - begin != math.prod(shape) * _DTYPE_BYTES[entry["dtype"]]
        ):
            raise _fail(path, f"tensor {name!r} lies outside the file or has the wrong size")
        end_max = max(end_max, end)
        spans.append((begin, end, name))
    if end_max != data_bytes:
        raise _fail(path, "file size does not match its header")
    spans.sort()
    for (_, end, name), (begin, _, following) in zip(spans, spans[1:], strict=False):
        if begin < end:  # two tensors sharing bytes: a crafted file, never one safetensors wrote
            raise _fail(path, f"tensors {name!r} and {following!r} overlap in the file")
    return header, metadata, size


def _parse_metadata(path: Path, metadata: dict) -> dict:
    """The adapter record, every field of the type it must have, rank and alpha in their ranges."""
    try:
        record = json.loads(metadata["lift3d_adapter"])
    except RecursionError:
        raise _fail(path, "metadata JSON is nested too deeply") from None
    except (KeyError, TypeError, ValueError):
        raise _fail(path, "metadata is incomplete") from None
    if not isinstance(record, dict):
        raise _fail(path, "metadata is not a JSON object")
    if record.get("format_version") != FORMAT_VERSION:
        raise _fail(
            path,
            f"format version {str(record.get('format_version'))[:20]!r} (this lift3d reads {FORMAT_VERSION})",
        )
    base = record.get("base_model")
    targets = record.get("target_modules")
    rank, alpha = record.get("rank"), record.get("alpha")
    if not (isinstance(base, dict) and isinstance(base.get("weights_sha256"), str)):
        raise _fail(path, "metadata has no base model hash")
    if not (isinstance(targets, list) and targets and all(isinstance(name, str) for name in targets)):
        raise _fail(path, "metadata target_modules must be a list of module names")
    for key in ("data", "metrics"):
        if not isinstance(record.get(key, {}), dict):
            raise _fail(path, f"metadata {key} must be a JSON object, not {type(record[key]).__name__}")
    for key in ("style", "lift3d", "name"):
        if not isinstance(record.get(key, ""), str):
            raise _fail(path, f"metadata {key} must be a string")
    if (
        isinstance(rank, bool)
        or isinstance(alpha, bool)
        or not isinstance(rank, int | float)
        or not isinstance(alpha, int | float)
    ):
        raise _fail(path, "metadata rank and alpha must be numbers")
    if not math.isfinite(rank) or rank != int(rank):
        raise _fail(path, f"rank {rank!r} is not a whole number")
    try:  # the same ranges as training: a rank of 1e9 or an alpha of 1e300 never came from us
        config = AdapterConfig(rank=int(rank), alpha=float(alpha), target_modules=tuple(targets))
    except OptionError as error:
        raise _fail(path, str(error)) from None
    record["rank"], record["alpha"], record["target_modules"] = (
        config.rank,
        config.alpha,
        config.target_modules,
    )
    return record


def resolve_adapter(path_or_name: str | os.PathLike) -> Path:
    """A file path as given, or the shipped adapter of that name."""
    path = Path(path_or_name)
    if path.is_file():
        return path
    shipped = SHIPPED_ADAPTERS / f"{path_or_name}.safetensors"
    if shipped.is_file() and re.fullmatch(r"[A-Za-z0-9_.-]+", str(path_or_name)):
        return shipped
    names = ", ".join(info.name for info in list_adapters()) or "none installed"
    raise ModelError(f"no adapter file or shipped adapter named {str(path_or_name)!r} (shipped: {names})")


def adapter_info(path_or_name: str | os.PathLike) -> AdapterInfo:
    """Read an adapter's description from its header (the weights are not loaded)."""
    path = resolve_adapter(path_or_name)
    header, metadata, size = _read_header(path)
    record = _parse_metadata(path, metadata)
    return AdapterInfo(
        name=path.stem,  # what `--adapter NAME` and listings call it
        path=str(path),
        style=str(record.get("style", "")),
        rank=record["rank"],
        alpha=record["alpha"],
        target_modules=record["target_modules"],
        base_weights_sha256=str(record["base_model"]["weights_sha256"]),
        base_model=str(record["base_model"].get("model", "")),
        parameters=sum(math.prod(entry["shape"]) for entry in header.values()),
        size_bytes=size,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest()[:16],
        lift3d_version=str(record.get("lift3d", "")),
        data=dict(record.get("data", {})),
        metrics=dict(record.get("metrics", {})),
    )


def read_adapter(path_or_name: str | os.PathLike) -> tuple[dict[str, torch.Tensor], AdapterInfo]:
    """Tensors and description of a checked adapter file; non-finite weights are refused."""
    info = adapter_info(path_or_name)
    path = Path(info.path)
    try:
        tensors = load_safetensors_bytes(path.read_bytes())
    except Exception as error:  # safetensors raises its own error types for malformed data
        raise _fail(path, str(error).splitlines()[0] if str(error) else type(error).__name__) from None
    for name, tensor in tensors.items():
        if not torch.isfinite(tensor).all():
            raise _fail(path, f"tensor {name!r} has non-finite values")
    _check_lora_shapes(path, {name: tuple(tensor.shape) for name, tensor in tensors.items()}, info.rank)
    return {name: tensor.float() for name, tensor in tensors.items()}, info


def _check_lora_shapes(path: Path, shapes: dict[str, tuple[int, ...]], rank: int) -> None:
    """Every module has an A (rank x in) and a B (out x rank) factor: swapped or odd shapes are refused."""
    for name, shape in shapes.items():
        module, _, factor = name.rpartition(".lora_")
        if factor not in ("A.weight", "B.weight") or not module:
            raise _fail(path, f"tensor {name!r} is not a LoRA factor")
        partner = f"{module}.lora_{'B' if factor == 'A.weight' else 'A'}.weight"
        if partner not in shapes:
            raise _fail(path, f"tensor {name!r} has no {partner.rpartition('.lora_')[2][0]} factor")
        rank_axis = 0 if factor == "A.weight" else 1
        if shape[rank_axis] != rank:
            raise _fail(path, f"tensor {name!r} has shape {list(shape)}, not rank {rank} on axis {rank_axis}")


def check_adapter(path_or_name: str | os.PathLike, model_dir: str | os.PathLike | None = None) -> AdapterInfo:
    """Everything a conversion would check before using the adapter, without loading a model.

    The header, metadata, weights (finite, LoRA shapes of its rank) and, when a model
    folder is given or shipped, that the adapter was trained for those exact base weights.
    """
    _, info = read_adapter(path_or_name)
    if model_dir is None:
        from lift3d.generate.diffusion.weights import shipped_model_dir

        model_dir = shipped_model_dir()
    if model_dir is not None:
        weights = Path(model_dir) / "unet" / "diffusion_pytorch_model.safetensors"
        try:
            identity = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
        except OSError as error:
            raise ModelError(f"cannot read the model weights {weights}: {error.strerror}") from None
        if info.base_weights_sha256 != identity:
            raise ModelError(
                f"adapter {Path(info.path).name} was trained for base model {info.base_weights_sha256[:40]}, "
                f"but the model is {identity}; use the matching model or retrain the adapter"
            )
    return info


def _shipped_adapter_paths() -> list[Path]:
    """src/lift3d/weights/adapters/*.safetensors, sorted (none if the folder is missing)."""
    if not SHIPPED_ADAPTERS.is_dir():
        return []
    return sorted(SHIPPED_ADAPTERS.glob("*.safetensors"))


def list_adapters() -> list[AdapterInfo]:
    """The adapters shipped with the package, with their headers."""
    return [adapter_info(path) for path in _shipped_adapter_paths()]


def shipped_adapter_names() -> set[str]:
    """Names of the shipped adapters, from file names alone (no header is read)."""
    return {path.stem for path in _shipped_adapter_paths()}


def parse_adapter_spec(text: str) -> tuple[str, float]:
    """'NAME_OR_PATH[:WEIGHT]' -> (name or path, weight); the weight defaults to 1."""
    source, _, tail = text.rpartition(":")
    if source and re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)", tail):
        return source, check_weight(float(tail))
    return text, 1.0


def parse_adapter_specs(value: object, names_only: bool = False) -> tuple[tuple[str, float], ...]:
    """Adapters as ((name or path, weight), ...) from 'a:0.5,b', a list of such strings, or pairs.

    `names_only` refuses file paths, for callers (a server) whose users may only pick
    shipped adapters.
    """
    if not value:
        return ()
    if isinstance(value, str):
        items: list = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise OptionError(f"adapters must be 'NAME[:WEIGHT],...' or (name, weight) pairs, got {value!r}")
    specs = []
    for item in items:
        if isinstance(item, str):
            source, weight = parse_adapter_spec(item)
        elif isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[0], str):
            source, weight = item[0], check_weight(float(item[1]))
        else:
            raise OptionError(f"adapter entry must be 'NAME[:WEIGHT]' or (name, weight), got {item!r}")
        if not source:
            raise OptionError("adapter name is empty")
        if names_only and not re.fullmatch(r"[A-Za-z0-9_-]+", source):
            raise OptionError(f"only shipped adapter names are accepted here, got {source!r}")
        specs.append((source, weight))
    return tuple(specs)


def shipped_adapter_specs(value: object) -> tuple[tuple[str, float], ...]:
    """Adapters a remote user may ask for: shipped names only, each checked to exist."""
    specs = parse_adapter_specs(value, names_only=True)
    shipped = {info.name for info in list_adapters()}
    for name, _ in specs:
        if name not in shipped:
            available = ", ".join(sorted(shipped)) or "none installed"
            raise OptionError(f"adapters: unknown adapter {name!r} (shipped: {available})")
    return specs


def check_weight(weight: float) -> float:
    low, high = _WEIGHT_RANGE
    if not (math.isfinite(weight) and low <= weight <= high):
        raise OptionError(f"adapter weight must be between {low:g} and {high:g}, got {weight}")
    return float(weight)


# ------------------------------------------------------------------------ model identity


def base_identity(model: ShapeDiffusion) -> str:
    """The base weights' identity: the file hash of a loaded model, else a hash of its tensors.

    Adapter layers are left out, so the identity is the same with adapters loaded.
    """
    if model.weights_hash:
        return model.weights_hash
    digest = hashlib.sha256()
    for name, tensor in sorted(model.unet.state_dict().items()):
        if "lora_" in name:
            continue
        digest.update(name.replace("base_layer.", "").encode())
        digest.update(tensor.detach().contiguous().float().numpy().tobytes())
    return "tensors:" + digest.hexdigest()[:16]


def base_parameter_count(model: ShapeDiffusion) -> int:
    return sum(p.numel() for name, p in model.unet.named_parameters() if "lora_" not in name)


# ----------------------------------------------------------------------- loading on a model


def loaded_adapters(model: ShapeDiffusion) -> dict[str, float]:
    """Adapter name -> weight for the adapters loaded on this model, in load order."""
    return dict(getattr(model.unet, _WEIGHTS_ATTRIBUTE, {}))


def _set_weights(model: ShapeDiffusion, weights: dict[str, float]) -> None:
    setattr(model.unet, _WEIGHTS_ATTRIBUTE, dict(weights))
    if weights:
        model.unet.set_adapters(list(weights), [float(w) for w in weights.values()])


def set_adapter_weights(model: ShapeDiffusion, weights: dict[str, float]) -> None:
    """Change the weights of loaded adapters (0 switches one off exactly)."""
    current = loaded_adapters(model)
    unknown = sorted(set(weights) - set(current))
    if unknown:
        raise OptionError(f"adapter(s) not loaded: {', '.join(unknown)}")
    _set_weights(model, {**current, **{name: check_weight(w) for name, w in weights.items()}})


def _peft_name(stem: str, taken: dict[str, float]) -> str:
    """A module-safe adapter name; never an nn.Module attribute such as 'training'."""
    base = "adapter_" + (re.sub(r"[^A-Za-z0-9_]", "_", stem) or "unnamed")
    name, index = base, 1
    while name in taken:
        index += 1
        name = f"{base}_{index}"
    return name


def attach_lora(
    model: ShapeDiffusion, config: AdapterConfig, name: str, init_lora_weights: bool = True
) -> None:
    """Add a new (trainable) LoRA adapter to the model's UNet and make it active at weight 1."""
    current = loaded_adapters(model)
    if name in current:
        raise OptionError(f"an adapter named {name!r} is already loaded")
    model.unet.add_adapter(config.lora_config(init_lora_weights), adapter_name=name)
    _set_weights(model, {**current, name: 1.0})


def adapter_state(model: ShapeDiffusion, name: str) -> dict[str, torch.Tensor]:
    """The LoRA tensors of one loaded adapter, named without the adapter name (file layout)."""
    from peft.utils import get_peft_model_state_dict

    state = get_peft_model_state_dict(model.unet, adapter_name=name)
    return {key: value.detach().float().contiguous().clone() for key, value in state.items()}


def load_adapter(
    model: ShapeDiffusion, path_or_name: str | os.PathLike, weight: float = 1.0, name: str = ""
) -> str:
    """Load an adapter onto the model at `weight`, stacked with those already loaded.

    Returns the adapter's name on the model (for `unload_adapter`). Refuses an adapter
    trained for other base weights, naming both hashes.
    """
    from peft.utils import set_peft_model_state_dict

    weight = check_weight(weight)
    tensors, info = read_adapter(path_or_name)
    path = Path(info.path)
    identity = base_identity(model)
    if info.base_weights_sha256 != identity:
        raise ModelError(
            f"adapter {path.name} was trained for base model {info.base_weights_sha256}, "
            f"but the loaded model is {identity}; use the matching model or retrain the adapter"
        )
    current = loaded_adapters(model)
    adapter_name = _peft_name(name or info.name, current)
    config = AdapterConfig(rank=info.rank, alpha=info.alpha, target_modules=info.target_modules)
    try:
        with warnings.catch_warnings():
            # peft warns that a model with one adapter gets another: stacking is the point here
            warnings.filterwarnings("ignore", message="Already found a `peft_config`")
            model.unet.add_adapter(config.lora_config(), adapter_name=adapter_name)
    except ValueError as error:
        raise _fail(path, f"its target modules do not fit this model ({error})".splitlines()[0]) from None
    expected = {key: tuple(value.shape) for key, value in adapter_state(model, adapter_name).items()}
    found = {key: tuple(value.shape) for key, value in tensors.items()}
    if expected != found:
        model.unet.delete_adapters(adapter_name)
        _set_weights(model, current)
        wrong = sorted(set(found) ^ set(expected)) or sorted(k for k in found if found[k] != expected.get(k))
        raise _fail(path, f"tensor names or shapes do not fit this model (first: {wrong[0]!r})")
    set_peft_model_state_dict(model.unet, tensors, adapter_name=adapter_name)
    files = dict(getattr(model.unet, _FILES_ATTRIBUTE, {}))
    files[adapter_name] = {"file": path.name, "sha256": info.sha256, "style": info.style}
    setattr(model.unet, _FILES_ATTRIBUTE, files)
    _set_weights(model, {**current, adapter_name: weight})
    model.unet.eval()
    return adapter_name


def unload_adapter(model: ShapeDiffusion, name: str | None = None) -> None:
    """Remove one adapter (or all); with none left the UNet is its plain base again."""
    current = loaded_adapters(model)
    names = list(current) if name is None else [name]
    unknown = sorted(set(names) - set(current))
    if unknown:
        raise OptionError(f"adapter(s) not loaded: {', '.join(unknown)}")
    if not names:
        return
    remaining = {key: value for key, value in current.items() if key not in names}
    files = getattr(model.unet, _FILES_ATTRIBUTE, {})
    setattr(model.unet, _FILES_ATTRIBUTE, {key: value for key, value in files.items() if key in remaining})
    if remaining:
        model.unet.delete_adapters(names)
        _set_weights(model, remaining)
    else:
        model.unet.unload_lora()
        setattr(model.unet, _WEIGHTS_ATTRIBUTE, {})


def with_adapters(model: ShapeDiffusion, adapters: tuple[tuple[str, float], ...]) -> ShapeDiffusion:
    """A copy of the model with adapters loaded; the (shared, cached) original is untouched."""
    if not adapters:
        return model
    copied = ShapeDiffusion(
        unet=copy.deepcopy(model.unet),
        scheduler=model.scheduler,
        record=dict(model.record),
        weights_hash=base_identity(model),
    )
    for source, weight in adapters:
        load_adapter(copied, source, weight)
    return copied


def adapters_identity(model: ShapeDiffusion) -> list[dict]:
    """Provenance of the loaded adapters: name, weight and file hash."""
    files = getattr(model.unet, _FILES_ATTRIBUTE, {})
    return [
        {"name": name, "weight": weight, **files.get(name, {})}
        for name, weight in loaded_adapters(model).items()
    ]


# ---------------------------------------------------------------------------------- writing


def adapter_bytes(tensors: dict[str, torch.Tensor], record: dict) -> bytes:
    """Serialise LoRA tensors and their description in the adapter file format."""
    metadata = {"format": FORMAT, "lift3d_adapter": json.dumps(record, sort_keys=True, default=str)}
    return save_safetensors_bytes({k: v.float().contiguous() for k, v in tensors.items()}, metadata=metadata)


def adapter_record(
    model: ShapeDiffusion,
    config: AdapterConfig,
    name: str,
    data: dict | None = None,
    metrics: dict | None = None,
) -> dict:
    """The metadata saved with an adapter: base identity, LoRA shape, style, data, metrics."""
    return {
        "format_version": FORMAT_VERSION,
        "name": name,
        "base_model": {"model": model.identity["model"], "weights_sha256": base_identity(model)},
        "rank": config.rank,
        "alpha": float(config.alpha),
        "target_modules": list(config.target_modules),
        "style": config.style,
        "data": data or {},
        "metrics": metrics or {},
        "lift3d": lift3d.__version__,
    }


def save_adapter(
    model: ShapeDiffusion,
    path: str | os.PathLike,
    config: AdapterConfig,
    name: str,
    data: dict | None = None,
    metrics: dict | None = None,
) -> Path:
    """Write a loaded adapter to one .safetensors file (atomically); refuses oversized adapters."""
    tensors = adapter_state(model, name)
    payload = adapter_bytes(tensors, adapter_record(model, config, Path(path).stem, data, metrics))
    if len(payload) > MAX_SAVED_BYTES:
        raise OptionError(f"adapter would be {len(payload) / 2**20:.1f} MB (limit 5 MB); lower the rank")
    write_bytes_atomic(path, payload)
    return Path(path)


def merge_adapters(sources: list[str | os.PathLike], weights: list[float], out: str | os.PathLike) -> Path:
    """Combine adapters for the same base into one file equal to loading them stacked.

    The LoRA factors are concatenated (rank = sum of ranks) with each adapter's weight
    and alpha/rank folded into its B factor, so the merged update is exactly
    sum_i weight_i * delta_i; a module one adapter lacks gets zero factors.
    """
    if len(sources) < 2 or len(sources) != len(weights):
        raise OptionError("merge needs at least two adapters and one weight per adapter")
    read = [read_adapter(source) for source in sources]
    bases = {info.base_weights_sha256 for _, info in read}
    if len(bases) != 1:
        raise ModelError(f"adapters are for different base models ({', '.join(sorted(bases))}); cannot merge")
    modules = sorted({key.rsplit(".lora_", 1)[0] for tensors, _ in read for key in tensors})
    merged: dict[str, torch.Tensor] = {}
    for module in modules:
        parts_a, parts_b = [], []
        shape_a = next(t[f"{module}.lora_A.weight"].shape for t, _ in read if f"{module}.lora_A.weight" in t)
        shape_b = next(t[f"{module}.lora_B.weight"].shape for t, _ in read if f"{module}.lora_B.weight" in t)
        for (tensors, info), weight in zip(read, weights, strict=True):
            key_a, key_b = f"{module}.lora_A.weight", f"{module}.lora_B.weight"
            if key_a in tensors:
                parts_a.append(tensors[key_a])
                parts_b.append(tensors[key_b] * check_weight(weight) * info.alpha / info.rank)
            else:
                parts_a.append(torch.zeros((info.rank, *shape_a[1:])))
                parts_b.append(torch.zeros((shape_b[0], info.rank, *shape_b[2:])))
        merged[f"{module}.lora_A.weight"] = torch.cat(parts_a, dim=0)
        merged[f"{module}.lora_B.weight"] = torch.cat(parts_b, dim=1)
    rank = sum(info.rank for _, info in read)
    first = read[0][1]
    targets = sorted({name for _, info in read for name in info.target_modules})
    record = {
        "format_version": FORMAT_VERSION,
        "name": Path(out).stem,
        "base_model": {"model": first.base_model, "weights_sha256": first.base_weights_sha256},
        "rank": rank,
        "alpha": float(rank),  # scale 1: the weights are already folded into B
        "target_modules": targets,
        "style": "+".join(dict.fromkeys(info.style for _, info in read)),
        "data": {
            "merged_from": [
                {"name": i.name, "sha256": i.sha256, "weight": w}
                for (_, i), w in zip(read, weights, strict=True)
            ]
        },
        "metrics": {},
        "lift3d": lift3d.__version__,
    }
    write_bytes_atomic(out, adapter_bytes(merged, record))
    return Path(out)


def fuse_adapter(
    model_dir: str | os.PathLike, adapters: list[tuple[str, float]], out_dir: str | os.PathLike
) -> Path:
    """Bake adapters into a copy of the base model (fuse_lora) saved as a new model folder.

    The fused model runs at base speed without peft; its record lists what was fused.
    """
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputError(f"{out} already exists and is not an empty folder")
    if not out.parent.is_dir():
        raise OutputError(f"output folder {out.parent} does not exist")
    model = ShapeDiffusion.from_pretrained(model_dir)
    names = [load_adapter(model, source, weight) for source, weight in adapters]
    fused = [adapter_info(source).as_dict() | {"weight": weight} for source, weight in adapters]
    model.unet.fuse_lora(lora_scale=1.0, adapter_names=names)
    model.unet.unload_lora()
    setattr(model.unet, _WEIGHTS_ATTRIBUTE, {})
    record = dict(model.record)
    record["fused_adapters"] = [
        {key: entry[key] for key in ("name", "sha256", "style", "rank", "weight")} for entry in fused
    ]
    record["fused_from"] = {"model": model.identity["model"], "weights_sha256": model.weights_hash}
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        ShapeDiffusion(unet=model.unet, scheduler=model.scheduler, record=record).save_pretrained(staging)
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except OSError as error:
        raise OutputError(f"cannot write {out}: {error.strerror}") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return out
