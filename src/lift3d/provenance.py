"""What produced a result, typed and owned by the API: one record per asset, merged into what the stages wrote.

The asset stage records its own facts (asset_options, faces_in/out, timings_s); the API
adds where the result came from and the values it actually ran with (the generator, the
diffusion steps and ensemble after defaults), so `NAME.lift3d.json` reproduces it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Resolved:
    """The values a conversion ran with after every default was applied."""

    generator: str
    steps: int | None = None  # diffusion sampling steps; None for a generator that does not sample
    ensemble: int | None = None  # diffusion samples averaged; None likewise
    adapters: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Provenance:
    """Where an asset came from; `merge_into` adds it to a stage's record without losing a key."""

    source: str | list[str]
    input_kind: str
    options: dict[str, Any]
    model: dict[str, Any]
    resolved: Resolved
    seed: int | None = None
    variant: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # a kind's own facts (projection, cameras ...)

    def as_dict(self) -> dict[str, Any]:
        record = {key: value for key, value in asdict(self).items() if key != "extra" and value is not None}
        return {**record, **self.extra}

    def merge_into(self, recorded: dict[str, Any]) -> dict[str, Any]:
        """`recorded` (what the stages wrote) with this provenance added; nested records merge too."""
        return merge_records(recorded, self.as_dict())


def merge_records(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Both records' keys; where both hold a dict the two merge, where both hold a value they must agree."""
    merged = dict(first)
    for key, value in second.items():
        if key not in merged:
            merged[key] = value
        elif isinstance(merged[key], dict) and isinstance(value, dict):
            merged[key] = merge_records(merged[key], value)
        elif merged[key] != value:
            raise ValueError(f"provenance key {key!r} written twice with different values")
    return merged


def renamed_paths(record: Any, replacements: list[tuple[str, str]]) -> Any:
    """The record with every path in `replacements` named otherwise, in any string it appears in.

    A server or a batch converts files it copied to a folder of its own; its users know them
    by the names they gave, and must not see (nor diff on) the scratch folder's.
    """
    if isinstance(record, str):
        for path, name in replacements:
            record = record.replace(path, name)
        return record
    if isinstance(record, list):
        return [renamed_paths(item, replacements) for item in record]
    if isinstance(record, dict):
        return {key: renamed_paths(item, replacements) for key, item in record.items()}
    return record
