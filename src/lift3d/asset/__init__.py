"""asset stage: clean, decimate, UV-unwrap, bake and place a reconstructed mesh."""

from lift3d.asset.build import build_asset
from lift3d.asset.options import AssetOptions
from lift3d.asset.preview import render_preview

__all__ = ["AssetOptions", "build_asset", "render_preview"]
