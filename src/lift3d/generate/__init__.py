"""Generate: imagine the hidden shape of the object in a cutout, as shape maps."""

from lift3d.generate.inflate import InflateOptions, SlabOptions, extrude_slab, inflate

__all__ = ["InflateOptions", "SlabOptions", "extrude_slab", "inflate"]
