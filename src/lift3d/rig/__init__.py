"""The rig stage: a skeleton placed inside a character's mesh, skin weights and built-in clips."""

from lift3d.rig.skeleton import HUMANOID_JOINTS, HUMANOID_PARENTS, Rig, Skeleton

__all__ = ["HUMANOID_JOINTS", "HUMANOID_PARENTS", "Rig", "Skeleton"]
