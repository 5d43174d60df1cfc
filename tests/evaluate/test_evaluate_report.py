"""Aggregation, tables and JSON of evaluation reports, on hand-made rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lift3d.errors import InputError, OutputError
from lift3d.evaluate import (
    EvalOptions,
    EvalReport,
    EvalRow,
    MeshScores,
    format_table,
    read_report_json,
    summarize,
    summarize_by_family,
    write_report_json,
)

OPTIONS = EvalOptions(points=500, thresholds=(0.02, 0.05), seed=7)


def row(method: str, index: int, family: str, f005: float, chamfer: float, seconds: float = 1.0) -> EvalRow:
    scores = MeshScores(
        chamfer_l1=chamfer,
        fscore_002=f005 / 2,
        fscore_005=f005,
        normal_consistency=0.5,
        watertight=f005 > 0.5,
        fscores={"0.02": f005 / 2, "0.05": f005},
    )
    return EvalRow(method, index, family, seed=100 + index, scores=scores, seconds=seconds)


def failed_row(method: str, index: int, family: str) -> EvalRow:
    return EvalRow(method, index, family, 100 + index, MeshScores.failure(OPTIONS), 0.5, "ValueError: boom")


@pytest.fixture
def rows() -> list[EvalRow]:
    return [
        row("slab", 0, "chair", 0.25, 0.10, seconds=1.0),
        row("inflate", 0, "chair", 0.75, 0.05, seconds=3.0),
        row("slab", 1, "chair", 0.75, 0.30, seconds=2.0),
        failed_row("inflate", 1, "chair"),
        row("slab", 2, "vase", 1.00, 0.02, seconds=3.0),
        row("inflate", 2, "vase", 0.50, 0.04, seconds=1.0),
    ]


def test_overall_means_and_counts(rows: list[EvalRow]) -> None:
    overall = summarize(rows)
    assert list(overall) == ["slab", "inflate"]
    slab = overall["slab"]
    assert (slab.count, slab.failures) == (3, 0)
    assert slab.fscore_005 == pytest.approx((0.25 + 0.75 + 1.0) / 3)
    assert slab.chamfer_l1 == pytest.approx(0.14)
    assert slab.seconds_per_sample == pytest.approx(2.0)
    assert slab.watertight == pytest.approx(2 / 3)
    assert slab.fscores == pytest.approx({"0.02": slab.fscore_002, "0.05": slab.fscore_005})
    inflate = overall["inflate"]
    assert (inflate.count, inflate.failures) == (3, 1)
    # A failure counts with F = 0 and the capped Chamfer distance.
    assert inflate.fscore_005 == pytest.approx((0.75 + 0.0 + 0.5) / 3)
    assert inflate.chamfer_l1 == pytest.approx((0.05 + MeshScores.failure(OPTIONS).chamfer_l1 + 0.04) / 3)


def test_per_family_means_and_counts(rows: list[EvalRow]) -> None:
    per_family = summarize_by_family(rows)
    assert list(per_family["slab"]) == ["chair", "vase"]
    chair = per_family["slab"]["chair"]
    assert chair.count == 2 and chair.failures == 0
    assert chair.fscore_005 == pytest.approx(0.5)
    assert chair.chamfer_l1 == pytest.approx(0.2)
    assert per_family["slab"]["vase"].fscore_005 == pytest.approx(1.0)
    assert per_family["inflate"]["chair"].failures == 1
    assert per_family["inflate"]["chair"].fscore_005 == pytest.approx(0.375)
    assert per_family["inflate"]["vase"].count == 1


def test_table_shows_every_method_and_family(rows: list[EvalRow]) -> None:
    table = format_table(EvalReport.from_rows(rows, OPTIONS))
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["method", "samples", "failed"]
    slab_line = next(line for line in lines if line.startswith("slab "))
    assert slab_line.split()[:5] == ["slab", "3", "0", "0.333", "0.667"]
    inflate_line = next(line for line in lines if line.startswith("inflate "))
    assert inflate_line.split()[2] == "1"
    assert "slab F@0.05" in table and "inflate Chamfer" in table
    chair_line = next(line for line in lines if line.startswith("chair "))
    assert chair_line.split() == ["chair", "2", "0.500", "0.2000", "0.375", f"{(0.05 + 3**0.5) / 2:.4f}"]


def test_json_round_trips(rows: list[EvalRow], tmp_path: Path) -> None:
    report = EvalReport.from_rows(rows, OPTIONS)
    path = tmp_path / "report.json"
    write_report_json(report, path)
    assert read_report_json(path) == report
    data = json.loads(path.read_text())
    assert data["options"]["seed"] == 7
    assert data["rows"][3]["error"] == "ValueError: boom"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left behind


def test_json_write_to_missing_folder_fails_cleanly(rows: list[EvalRow], tmp_path: Path) -> None:
    with pytest.raises(OutputError):
        write_report_json(EvalReport.from_rows(rows, OPTIONS), tmp_path / "missing" / "report.json")


@pytest.mark.parametrize(
    "text",
    ["not json", "[1, 2]", '{"format": 99}', '{"format": 1, "options": {}}'],
)
def test_malformed_json_is_an_input_error(text: str, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(text)
    with pytest.raises(InputError):
        read_report_json(path)


def test_unknown_keys_are_refused(rows: list[EvalRow]) -> None:
    data = EvalReport.from_rows(rows, OPTIONS).to_dict()
    data["rows"][0]["surprise"] = 1
    with pytest.raises(InputError, match="surprise"):
        EvalReport.from_dict(data)
