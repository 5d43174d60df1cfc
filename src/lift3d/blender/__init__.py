"""Blender integration: the single-file add-on `lift3d_addon.py` (installed into Blender, not imported here)."""
