"""The evaluation loop: every method on every sample, failures counted, not fatal."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import trimesh

from lift3d.errors import OptionError
from lift3d.evaluate import CHAMFER_CAP, EvalOptions, evaluate, format_table
from lift3d.types import Sample

FAST = EvalOptions(points=1000)


def broken(sample: Sample) -> trimesh.Trimesh:
    raise RuntimeError("model weights missing")


@pytest.fixture
def samples(
    make_sample: Callable[..., Sample], sphere: trimesh.Trimesh, box: trimesh.Trimesh
) -> list[Sample]:
    return [make_sample(sphere, "ball", 1), make_sample(box, "crate", 2), make_sample(sphere, "ball", 3)]


def test_every_method_runs_on_every_sample(samples: list[Sample]) -> None:
    methods = {
        "oracle": lambda sample: sample.mesh(),
        "always_sphere": lambda sample: trimesh.creation.icosphere(3),
        "broken": broken,
        "returns_none": lambda sample: None,
    }
    report = evaluate(samples, methods, FAST, progress=False)
    assert report.methods == list(methods)
    assert len(report.rows) == len(samples) * len(methods)
    oracle = report.overall["oracle"]
    assert (oracle.count, oracle.failures) == (3, 0)
    assert oracle.fscore_005 == 1.0 and oracle.watertight == 1.0
    # The sphere matches the two balls perfectly and the crate badly.
    assert report.per_family["always_sphere"]["ball"].fscore_005 == 1.0
    assert report.per_family["always_sphere"]["crate"].fscore_005 < 0.7
    for name, message in [("broken", "RuntimeError: model weights missing"), ("returns_none", "NoneType")]:
        summary = report.overall[name]
        assert (summary.count, summary.failures) == (3, 3)
        assert summary.fscore_002 == summary.fscore_005 == 0.0
        assert summary.chamfer_l1 == pytest.approx(CHAMFER_CAP)
        assert all(message in row.error for row in report.rows if row.method == name)
    assert all(row.seconds >= 0 for row in report.rows)
    assert [row.family for row in report.rows if row.method == "oracle"] == ["ball", "crate", "ball"]
    table = format_table(report)
    assert all(name in table for name in methods)


def test_limit_stops_a_generator_early(samples: list[Sample]) -> None:
    seen: list[int] = []

    def generate():
        for sample in samples:
            seen.append(sample.seed)
            yield sample

    report = evaluate(generate(), {"oracle": Sample.mesh}, EvalOptions(points=1000, limit=2), progress=False)
    assert [row.seed for row in report.rows] == [1, 2]
    assert seen == [1, 2]


def test_slow_method_is_timed(samples: list[Sample]) -> None:
    import time

    def slow(sample: Sample) -> trimesh.Trimesh:
        time.sleep(0.05)
        return sample.mesh()

    report = evaluate(samples[:1], {"slow": slow}, FAST, progress=False)
    assert report.overall["slow"].seconds_per_sample >= 0.05


def test_no_methods_is_an_option_error(samples: list[Sample]) -> None:
    with pytest.raises(OptionError):
        evaluate(samples, {}, FAST, progress=False)


def test_interrupt_is_not_swallowed(samples: list[Sample]) -> None:
    def interrupted(sample: Sample) -> trimesh.Trimesh:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        evaluate(samples, {"interrupted": interrupted}, FAST, progress=False)


def test_progress_bar_goes_to_stderr(samples: list[Sample], capsys: pytest.CaptureFixture[str]) -> None:
    evaluate(samples[:1], {"oracle": Sample.mesh}, FAST, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "evaluate" in captured.err
