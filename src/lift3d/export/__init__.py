"""export stage: write an Asset as .glb, .obj (+ .mtl, .png), .ply, .stl or .usdz."""

from lift3d.export.save import DEFAULT_SUFFIX, EXPORTERS, check_output_path, save_asset

__all__ = ["DEFAULT_SUFFIX", "EXPORTERS", "check_output_path", "save_asset"]
