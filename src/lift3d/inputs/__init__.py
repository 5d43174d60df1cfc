"""Inputs stage: read picture files, find the object and frame it as a square cutout."""

from lift3d.inputs.cutout import CutoutOptions, make_cutout
from lift3d.inputs.read import read_picture, read_picture_bytes
from lift3d.inputs.segment import find_object

__all__ = ["CutoutOptions", "find_object", "make_cutout", "read_picture", "read_picture_bytes"]
