"""Evaluation results: per-sample rows, their means per method and per family, tables and JSON."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lift3d.errors import InputError
from lift3d.evaluate.metrics import MeshScores
from lift3d.evaluate.options import EvalOptions
from lift3d.files import atomic_path

# Bumped whenever the JSON layout changes, so an old report is refused rather than misread.
REPORT_FORMAT = 1


@dataclass(frozen=True)
class EvalRow:
    """One method's result on one sample."""

    method: str
    sample_index: int  # position of the sample in the evaluated sequence
    family: str
    seed: int  # the sample's own seed, to regenerate it
    scores: MeshScores  # MeshScores.failure(...) when the method failed
    seconds: float  # wall time of the method call alone, scoring excluded
    error: str | None = None  # why the method failed; None when it returned a mesh

    @property
    def failed(self) -> bool:
        return self.error is not None


@dataclass(frozen=True)
class MethodSummary:
    """Means over a group of rows; failures count with their worst-case scores."""

    count: int
    failures: int
    chamfer_l1: float
    fscore_002: float
    fscore_005: float
    normal_consistency: float
    watertight: float  # fraction of predictions that are watertight
    seconds_per_sample: float
    fscores: dict[str, float] = field(default_factory=dict)  # mean F at each EvalOptions threshold


@dataclass(frozen=True)
class EvalReport:
    """Everything a run produced, with the options that make it reproducible."""

    options: EvalOptions
    rows: tuple[EvalRow, ...]
    overall: dict[str, MethodSummary]  # method -> summary, in the order methods were given
    per_family: dict[str, dict[str, MethodSummary]]  # method -> family -> summary

    @classmethod
    def from_rows(cls, rows: Iterable[EvalRow], options: EvalOptions) -> EvalReport:
        rows = tuple(rows)
        return cls(options, rows, summarize(rows), summarize_by_family(rows))

    @property
    def methods(self) -> list[str]:
        return list(self.overall)

    @property
    def families(self) -> list[str]:
        return list(dict.fromkeys(row.family for row in self.rows))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": REPORT_FORMAT,
            "options": asdict(self.options),
            "overall": {method: asdict(summary) for method, summary in self.overall.items()},
            "per_family": {
                method: {family: asdict(summary) for family, summary in families.items()}
                for method, families in self.per_family.items()
            },
            "rows": [asdict(row) for row in self.rows],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvalReport:
        """Rebuild a report; unknown or missing keys are errors, not silently dropped."""
        if data.get("format") != REPORT_FORMAT:
            raise InputError(f"report format {data.get('format')!r} is not {REPORT_FORMAT}")
        try:
            options = dict(data["options"])
            options["thresholds"] = tuple(options["thresholds"])
            return cls(
                options=EvalOptions(**options),
                rows=tuple(EvalRow(**{**row, "scores": MeshScores(**row["scores"])}) for row in data["rows"]),
                overall={method: MethodSummary(**summary) for method, summary in data["overall"].items()},
                per_family={
                    method: {family: MethodSummary(**summary) for family, summary in families.items()}
                    for method, families in data["per_family"].items()
                },
            )
        except (KeyError, TypeError) as error:
            raise InputError(f"malformed evaluation report: {error}") from None


def summarize(rows: Sequence[EvalRow]) -> dict[str, MethodSummary]:
    """Mean scores of each method over all its rows, methods in order of first appearance."""
    return {method: _summarize_group(group) for method, group in _group(rows, lambda row: row.method).items()}


def summarize_by_family(rows: Sequence[EvalRow]) -> dict[str, dict[str, MethodSummary]]:
    """Mean scores of each method within each shape family: method -> family -> summary."""
    return {
        method: {
            family: _summarize_group(group)
            for family, group in _group(method_rows, lambda row: row.family).items()
        }
        for method, method_rows in _group(rows, lambda row: row.method).items()
    }


def format_table(report: EvalReport) -> str:
    """Plain-text tables: methods side by side over all samples, then F@0.05 and Chamfer per family."""
    overall_header = [
        *("method", "samples", "failed", "F@0.02", "F@0.05"),
        *("Chamfer-L1", "normals", "watertight", "s/sample"),
    ]
    overall_rows = [
        [
            method,
            str(summary.count),
            str(summary.failures),
            f"{summary.fscore_002:.3f}",
            f"{summary.fscore_005:.3f}",
            f"{summary.chamfer_l1:.4f}",
            f"{summary.normal_consistency:.3f}",
            f"{summary.watertight:.2f}",
            f"{summary.seconds_per_sample:.3f}",
        ]
        for method, summary in report.overall.items()
    ]
    family_header = ["family", "samples"]
    for method in report.methods:
        family_header += [f"{method} F@0.05", f"{method} Chamfer"]
    family_rows = []
    for family in report.families:
        cells = [family, str(len({row.sample_index for row in report.rows if row.family == family}))]
        for method in report.methods:
            summary = report.per_family[method].get(family)
            cells += (
                ["-", "-"] if summary is None else [f"{summary.fscore_005:.3f}", f"{summary.chamfer_l1:.4f}"]
            )
        family_rows.append(cells)
    return (
        _format_grid(overall_header, overall_rows)
        + "\n\nper family\n"
        + _format_grid(family_header, family_rows)
        + "\n"
    )


def write_report_json(report: EvalReport, path: str | os.PathLike) -> None:
    """Write the report as JSON, atomically, so a crashed run never leaves half a report."""
    text = json.dumps(report.to_dict(), indent=2, allow_nan=False)
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")


def read_report_json(path: str | os.PathLike) -> EvalReport:
    """Read a report written by `write_report_json`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"cannot read evaluation report {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise InputError(f"evaluation report {path} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise InputError(f"evaluation report {path} is not a JSON object")
    return EvalReport.from_dict(data)


def _group(rows: Iterable[EvalRow], key: Callable[[EvalRow], str]) -> dict[str, list[EvalRow]]:
    groups: dict[str, list[EvalRow]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return groups


def _summarize_group(rows: Sequence[EvalRow]) -> MethodSummary:
    def mean(values: Iterable[float]) -> float:
        return float(np.mean(list(values)))

    keys = list(dict.fromkeys(key for row in rows for key in row.scores.fscores))
    return MethodSummary(
        count=len(rows),
        failures=sum(row.failed for row in rows),
        chamfer_l1=mean(row.scores.chamfer_l1 for row in rows),
        fscore_002=mean(row.scores.fscore_002 for row in rows),
        fscore_005=mean(row.scores.fscore_005 for row in rows),
        normal_consistency=mean(row.scores.normal_consistency for row in rows),
        watertight=mean(float(row.scores.watertight) for row in rows),
        seconds_per_sample=mean(row.seconds for row in rows),
        fscores={key: mean(row.scores.fscores.get(key, 0.0) for row in rows) for key in keys},
    )


def _format_grid(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell; the first left-aligned, numbers right-aligned."""
    widths = [max(len(line[column]) for line in [header, *rows]) for column in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    return "\n".join([line(header), "  ".join("-" * width for width in widths), *map(line, rows)])
