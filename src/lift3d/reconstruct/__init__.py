"""Reconstruct: shape maps to a watertight mesh."""

from lift3d.reconstruct.surface import ReconstructOptions, maps_to_mesh

__all__ = ["ReconstructOptions", "maps_to_mesh"]
