"""score_mesh: perfect, aligned, deformed, wrong and broken predictions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import trimesh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lift3d.errors import InputError, OptionError
from lift3d.evaluate import CHAMFER_CAP, EvalOptions, MeshScores, is_watertight, score_mesh

DEFAULTS = EvalOptions()


def similar_copy(mesh: trimesh.Trimesh, degrees: float, scale: float, offset: tuple) -> trimesh.Trimesh:
    moved = mesh.copy()
    moved.apply_transform(trimesh.transformations.rotation_matrix(math.radians(degrees), [0, 1, 1]))
    moved.apply_scale(scale)
    moved.apply_translation(offset)
    return moved


def stretched(mesh: trimesh.Trimesh, factor: float) -> trimesh.Trimesh:
    copy = mesh.copy()
    copy.apply_scale([factor, 1.0, 1.0])
    return copy


def chair() -> trimesh.Trimesh:
    """An asymmetric shape: a seat with a back on one side, so a mirror image differs."""
    seat = trimesh.creation.box(extents=(1.0, 0.2, 1.0))
    back = trimesh.creation.box(extents=(0.2, 1.0, 1.0))
    back.apply_translation([0.4, 0.6, 0.0])
    return trimesh.util.concatenate([seat, back])


@pytest.mark.parametrize("name", ["sphere", "box"])
def test_truth_against_itself_is_perfect(name: str, request: pytest.FixtureRequest) -> None:
    truth = request.getfixturevalue(name)
    scores = score_mesh(truth, truth, DEFAULTS)
    assert scores.fscore_002 == 1.0
    assert scores.fscore_005 == 1.0
    assert scores.chamfer_l1 < 1e-3
    assert scores.normal_consistency > 0.99
    assert scores.watertight


def test_similarity_is_undone_by_alignment_only(box: trimesh.Trimesh) -> None:
    moved = similar_copy(box, degrees=10, scale=1.7, offset=(0.3, -0.2, 0.5))
    aligned = score_mesh(moved, box, DEFAULTS)
    unaligned = score_mesh(moved, box, EvalOptions(align=False))
    assert aligned.fscore_002 > 0.99 and aligned.fscore_005 == 1.0
    assert aligned.chamfer_l1 < 2e-3
    assert unaligned.fscore_002 < 0.5 * aligned.fscore_002
    assert unaligned.chamfer_l1 > 10 * aligned.chamfer_l1


def test_scale_and_position_alone_need_no_alignment(sphere: trimesh.Trimesh) -> None:
    # Each mesh is normalised by its own bounding box before anything else.
    moved = similar_copy(sphere, degrees=0, scale=3.0, offset=(5.0, 1.0, -2.0))
    assert score_mesh(moved, sphere, EvalOptions(align=False)).fscore_002 == 1.0


def test_scores_worsen_monotonically_with_stretch(sphere: trimesh.Trimesh) -> None:
    scores = [score_mesh(stretched(sphere, factor), sphere, DEFAULTS) for factor in (1.0, 1.1, 1.25, 1.5)]
    fscores = [score.fscore_002 for score in scores]
    chamfers = [score.chamfer_l1 for score in scores]
    assert fscores == sorted(fscores, reverse=True) and len(set(fscores)) == len(fscores)
    assert chamfers == sorted(chamfers) and len(set(chamfers)) == len(chamfers)
    assert [s.fscore_005 for s in scores] == sorted((s.fscore_005 for s in scores), reverse=True)
    assert scores[-1].fscore_005 < scores[0].fscore_005


def test_scores_worsen_monotonically_with_vertex_noise(sphere: trimesh.Trimesh) -> None:
    rng = np.random.default_rng(0)
    direction = rng.normal(size=sphere.vertices.shape)
    chamfers = []
    for sigma in (0.0, 0.01, 0.03, 0.06):
        noisy = sphere.copy()
        noisy.vertices = sphere.vertices + sigma * direction
        chamfers.append(score_mesh(noisy, sphere, DEFAULTS).chamfer_l1)
    assert chamfers == sorted(chamfers) and len(set(chamfers)) == len(chamfers)


def test_mirror_image_is_not_a_match() -> None:
    # The fit is a similarity without reflection: the back on the wrong side must cost.
    truth = chair()
    mirrored = truth.copy()
    mirrored.apply_transform(np.diag([-1.0, 1.0, 1.0, 1.0]))
    assert (
        score_mesh(mirrored, truth, DEFAULTS).fscore_005 < 0.9 * score_mesh(truth, truth, DEFAULTS).fscore_005
    )


def test_box_against_sphere_scores_clearly_lower(box: trimesh.Trimesh, sphere: trimesh.Trimesh) -> None:
    scores = score_mesh(box, sphere, DEFAULTS)
    assert scores.fscore_005 < 0.7
    assert scores.fscore_002 < 0.4
    assert scores.chamfer_l1 > 0.03


def broken_meshes() -> dict[str, trimesh.Trimesh]:
    line = trimesh.Trimesh([[0, 0, 0], [1, 0, 0], [2, 0, 0]], [[0, 1, 2]], process=False)
    point = trimesh.Trimesh([[1, 1, 1]] * 3, [[0, 1, 2]], process=False)
    nan = trimesh.creation.box()
    nan.vertices[0] = np.nan
    out_of_range = trimesh.Trimesh([[0, 0, 0], [1, 0, 0], [0, 1, 0]], [[0, 1, 7]], process=False)
    return {
        "empty": trimesh.Trimesh(),
        "no faces": trimesh.Trimesh(vertices=np.eye(3)),
        "collinear": line,
        "one point": point,
        "nan vertex": nan,
        "face out of range": out_of_range,
    }


@pytest.mark.parametrize("name", list(broken_meshes()))
def test_broken_prediction_gets_worst_scores(name: str, sphere: trimesh.Trimesh) -> None:
    scores = score_mesh(broken_meshes()[name], sphere, DEFAULTS)
    assert scores == MeshScores.failure(DEFAULTS)
    assert scores.fscore_002 == scores.fscore_005 == 0.0
    assert scores.chamfer_l1 == CHAMFER_CAP
    assert not scores.watertight


def test_empty_truth_is_a_data_error(sphere: trimesh.Trimesh) -> None:
    with pytest.raises(InputError, match="ground-truth"):
        score_mesh(sphere, trimesh.Trimesh(), DEFAULTS)


def test_unused_far_vertex_does_not_shift_the_box(sphere: trimesh.Trimesh) -> None:
    padded = trimesh.Trimesh(np.vstack([sphere.vertices, [[100.0, 0, 0]]]), sphere.faces, process=False)
    assert score_mesh(padded, sphere, EvalOptions(align=False)).fscore_002 == 1.0


def test_watertight_ignores_uv_seams_but_not_holes(box: trimesh.Trimesh) -> None:
    # Every face with its own vertices, as after UV unwrapping with seams everywhere.
    split = trimesh.Trimesh(box.triangles.reshape(-1, 3), np.arange(36).reshape(-1, 3), process=False)
    assert not split.is_watertight
    assert is_watertight(split)
    assert not is_watertight(trimesh.Trimesh(box.vertices, box.faces[1:], process=False))
    assert score_mesh(split, box, DEFAULTS).watertight


def test_scores_are_reproducible_and_follow_thresholds(sphere: trimesh.Trimesh) -> None:
    options = EvalOptions(points=2000, thresholds=[0.01, 0.05], seed=3)
    deformed = stretched(sphere, 1.2)
    first, second = score_mesh(deformed, sphere, options), score_mesh(deformed, sphere, options)
    assert first == second
    assert list(first.fscores) == ["0.01", "0.05"]
    assert first.fscores["0.05"] == first.fscore_005
    assert first.fscores["0.01"] < first.fscore_002


@pytest.mark.parametrize(
    "changes",
    [
        {"points": 10},
        {"points": 1000.0},
        {"thresholds": ()},
        {"thresholds": (0.02, -1.0)},
        {"thresholds": (0.02, math.inf)},
        {"thresholds": ("wide",)},
        {"thresholds": (0.02, 0.02)},
        {"align": "yes"},
        {"limit": 0},
        {"seed": -1},
    ],
)
def test_bad_options_are_refused(changes: dict) -> None:
    with pytest.raises(OptionError):
        EvalOptions(**changes)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    degrees=st.floats(-15, 15),
    scale=st.floats(0.2, 5.0),
    offset=st.tuples(*[st.floats(-2, 2)] * 3),
)
def test_any_small_similarity_is_aligned(
    degrees: float, scale: float, offset: tuple, box: trimesh.Trimesh
) -> None:
    moved = similar_copy(box, degrees, scale, offset)
    assert score_mesh(moved, box, EvalOptions(points=2000)).fscore_005 > 0.99


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    vertices=st.lists(
        st.tuples(*[st.floats(allow_nan=True, allow_infinity=True, width=32)] * 3), min_size=0, max_size=8
    ),
    faces=st.lists(st.tuples(*[st.integers(-1, 9)] * 3), min_size=0, max_size=8),
)
def test_any_prediction_scores_without_crashing(vertices: list, faces: list, sphere: trimesh.Trimesh) -> None:
    predicted = trimesh.Trimesh(
        np.asarray(vertices, dtype=np.float64).reshape(-1, 3),
        np.asarray(faces, dtype=np.int64).reshape(-1, 3),
        process=False,
    )
    scores = score_mesh(predicted, sphere, EvalOptions(points=200))
    assert 0.0 <= scores.fscore_002 <= 1.0 and 0.0 <= scores.fscore_005 <= 1.0
    assert 0.0 <= scores.chamfer_l1 <= CHAMFER_CAP
    assert 0.0 <= scores.normal_consistency <= 1.0


def test_surface_match_splits_the_normal_score_it_makes(
    box: trimesh.Trimesh, sphere: trimesh.Trimesh
) -> None:
    """The per-point match averages to the reported normal score, and a box's side faces are found."""
    from lift3d.evaluate.metrics import match_surfaces, sample_truth, score_against

    truth = sample_truth(box, DEFAULTS)
    match = match_surfaces(sphere, truth, DEFAULTS)
    assert match is not None
    scores = score_against(sphere, truth, DEFAULTS)
    mean = 0.5 * (match.prediction_cosines.mean() + match.truth_cosines.mean())
    assert mean == pytest.approx(scores.normal_consistency)
    side = np.abs(match.truth_normals[:, 2]) < 0.5
    assert side.mean() == pytest.approx(1.28 / 2.48, abs=0.03)  # the area share of the faces along z
    assert match_surfaces(trimesh.Trimesh(), truth, DEFAULTS) is None
