"""Evaluation stage: score predicted meshes against ground truth and report per method and family."""

from lift3d.evaluate.metrics import CHAMFER_CAP, MeshScores, is_watertight, score_mesh
from lift3d.evaluate.options import EvalOptions
from lift3d.evaluate.report import (
    EvalReport,
    EvalRow,
    MethodSummary,
    format_table,
    read_report_json,
    summarize,
    summarize_by_family,
    write_report_json,
)
from lift3d.evaluate.runner import Method, evaluate

__all__ = [
    "CHAMFER_CAP",
    "EvalOptions",
    "EvalReport",
    "EvalRow",
    "Method",
    "MeshScores",
    "MethodSummary",
    "evaluate",
    "format_table",
    "is_watertight",
    "read_report_json",
    "score_mesh",
    "summarize",
    "summarize_by_family",
    "write_report_json",
]
