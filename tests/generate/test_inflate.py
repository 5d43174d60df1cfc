"""Classical generators: inflation is round and follows local width; the slab is flat."""

from __future__ import annotations

import numpy as np

from lift3d.generate import extrude_slab, inflate
from lift3d.reconstruct import maps_to_mesh
from tests.conftest import cutout_from_mask, view_grid


def test_inflated_bar_has_a_round_cross_section() -> None:
    x, y = view_grid(128)
    half_width = 0.15
    maps = inflate(cutout_from_mask((np.abs(x) < 0.8) & (np.abs(y) < half_width)))
    middle = maps.front_z[maps.front_z.shape[0] // 2 - 1 : maps.front_z.shape[0] // 2 + 1, 40:88]
    assert abs(middle.max() - half_width) < 0.15 * half_width
    assert np.allclose(maps.back_z, -maps.front_z)


def test_thickness_follows_local_width(l_shape_cutout) -> None:
    maps = inflate(l_shape_cutout)
    assert maps.front_z.max() < 0.3  # arms are 0.4 wide: thickness stays near their half-width


def test_inflation_of_a_disc_is_a_watertight_round_body(disc_cutout) -> None:
    mesh = maps_to_mesh(inflate(disc_cutout))
    assert mesh.is_watertight
    depth = mesh.extents[2]
    assert 0.5 * 1.6 < depth < 1.0 * 1.6


def test_slab_is_flat_and_constant(disc_cutout) -> None:
    maps = extrude_slab(disc_cutout)
    inside = maps.front_z[disc_cutout.mask]
    assert np.ptp(inside) == 0 and inside[0] > 0
    mesh = maps_to_mesh(maps)
    assert mesh.is_watertight
