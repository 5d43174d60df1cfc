"""lift3d: turn 2D pictures into clean, textured, watertight 3D assets."""

__version__ = "0.1.0"
