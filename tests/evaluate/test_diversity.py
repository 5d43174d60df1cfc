"""Shape descriptors for the diversity benchmark: blind to pose and size, not to shape."""

import numpy as np
import trimesh

from lift3d.evaluate.diversity import describe, descriptor_distance, nearest_neighbours


def test_descriptor_ignores_rotation_translation_and_scale():
    mesh = trimesh.creation.box((1.0, 0.4, 0.2))
    moved = mesh.copy()
    moved.apply_transform(trimesh.transformations.random_rotation_matrix(np.random.default_rng(1).random(3)))
    moved.apply_scale(3.7)
    moved.apply_translation((5.0, -2.0, 1.0))
    same = descriptor_distance(describe(mesh, seed=0), describe(moved, seed=0))
    other = descriptor_distance(describe(mesh, seed=0), describe(trimesh.creation.icosphere(3), seed=0))
    assert same < 0.01
    assert other > 5 * same


def test_nearest_neighbour_finds_the_like_shape():
    pool = [
        trimesh.creation.icosphere(3),
        trimesh.creation.box((1.0, 0.1, 1.0)),
        trimesh.creation.cylinder(0.1, 2.0),
    ]
    queries = [trimesh.creation.box((0.9, 0.12, 1.1)), trimesh.creation.cylinder(0.12, 2.2)]
    distances, nearest = nearest_neighbours([describe(q) for q in queries], [describe(p) for p in pool])
    assert list(nearest) == [1, 2]
    assert np.all(distances >= 0)
