"""Synthetic samples: reproducible by seed, every family renders consistent ground truth."""

import numpy as np
import pytest
import trimesh

from lift3d.data.synth import FAMILY_NAMES, build_sample, family_for_seed, generate_sample
from lift3d.types import OBJECT_FILL


@pytest.fixture(scope="module")
def samples():
    return [generate_sample(seed, size=64) for seed in range(len(FAMILY_NAMES))]


def test_same_seed_gives_identical_arrays():
    first, second = generate_sample(123, size=48), generate_sample(123, size=48)
    for name in ("rgba", "front_z", "back_z", "vertices", "faces"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))
    assert first.family == second.family and first.seed == second.seed == 123
    other = generate_sample(123 + len(FAMILY_NAMES), size=48)
    assert other.family == first.family and not np.array_equal(other.rgba, first.rgba)


def test_families_go_round_robin(samples):
    assert [sample.family for sample in samples] == list(FAMILY_NAMES)
    assert family_for_seed(len(FAMILY_NAMES) + 2) == FAMILY_NAMES[2]


def test_every_family_gives_a_watertight_mesh_and_a_mask(samples):
    for sample in samples:
        mesh = sample.mesh()
        assert mesh.is_watertight, sample.family
        assert mesh.body_count == 1, sample.family
        assert sample.mask.sum() > 0.01 * sample.mask.size, sample.family
        assert sample.rgba.shape == (64, 64, 4) and sample.rgba.dtype == np.uint8
        assert sample.vertices.dtype == np.float32 and sample.faces.dtype == np.int32


def test_front_is_in_front_of_back_on_the_mask(samples):
    for sample in samples:
        mask = sample.mask
        assert (sample.front_z[mask] >= sample.back_z[mask]).all(), sample.family
        assert not sample.front_z[~mask].any() and not sample.back_z[~mask].any(), sample.family


def test_mesh_is_normalised_to_object_fill(samples):
    for sample in samples:
        low, high = sample.vertices.min(axis=0), sample.vertices.max(axis=0)
        assert max(high[0] - low[0], high[1] - low[1]) == pytest.approx(2 * OBJECT_FILL, abs=1e-5)
        np.testing.assert_allclose((low + high) / 2, 0.0, atol=1e-5)


def test_depth_maps_agree_with_the_mesh(samples):
    """Independent check with trimesh's own ray caster on a few mask pixels."""
    for sample in samples:
        mesh = trimesh.Trimesh(sample.vertices.astype(np.float64), sample.faces, process=False)
        rows, cols = np.nonzero(sample.mask)
        pick = np.random.default_rng(0).choice(len(rows), size=min(20, len(rows)), replace=False)
        size = sample.rgba.shape[0]
        x = (2 * cols[pick] + 1) / size - 1
        y = 1 - (2 * rows[pick] + 1) / size
        origins = np.column_stack([x, y, np.full(len(x), 50.0)])
        locations, index_ray, _ = mesh.ray.intersects_location(origins, np.tile([0, 0, -1.0], (len(x), 1)))
        for ray in range(len(x)):
            z = locations[index_ray == ray, 2]
            if len(z) == 0:
                continue  # grazing silhouette ray the other caster missed
            i, j = rows[pick[ray]], cols[pick[ray]]
            assert sample.front_z[i, j] == pytest.approx(z.max(), abs=2e-3), sample.family
            assert sample.back_z[i, j] == pytest.approx(z.min(), abs=2e-3), sample.family


def test_colour_shows_where_the_mask_is(samples):
    for sample in samples:
        covered = sample.rgba[..., 3] > 0
        assert not sample.rgba[~covered, :3].any()
        assert sample.rgba[sample.mask, :3].max() > 0


def test_a_failing_family_falls_back_instead_of_crashing(monkeypatch):
    from lift3d.data import shapes

    def broken(rng):
        raise ValueError("degenerate")

    seed = FAMILY_NAMES.index("blob")
    monkeypatch.setitem(shapes.FAMILIES, "blob", broken)
    sample = generate_sample(seed, size=32)
    assert sample.family == "primitive" and sample.seed == seed
    assert sample.mask.any()


def test_unknown_family_is_a_programming_error():
    with pytest.raises(KeyError):
        build_sample(0, "no-such-family", 0)
