"""export stage: write an Asset as .glb, .obj (+ .mtl, _basecolor.png), .ply, .stl or .usdz."""

from lift3d.export.options import ExportOptions
from lift3d.export.save import DEFAULT_SUFFIX, EXPORTERS, check_output_path, output_files, save_asset

__all__ = ["DEFAULT_SUFFIX", "ExportOptions", "EXPORTERS", "check_output_path", "output_files", "save_asset"]
