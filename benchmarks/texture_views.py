"""Before/after views of converted pictures: today's texture against de-lighting + hidden-side fill.

Converts each picture once (shape and atlas shared), bakes the texture both ways and draws
the asset as the preview renderer lights it, from the front, the side and the back: a lit
picture baked as is shows its light twice, and a mirrored back repeats the face.

Writes docs/texture/views.png.

    python benchmarks/texture_views.py [samples/creature_photo.png samples/vase.png ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ANGLES_DEG = (0.0, 90.0, 180.0)
CELL_PX = 192
BEFORE = {"delight": False, "hidden_side": "mirror"}
AFTER = {"delight": True, "hidden_side": "fill"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pictures", nargs="*", default=[str(ROOT / "samples" / "creature_photo.png")])
    parser.add_argument("--out", default=str(ROOT / "docs" / "texture" / "views.png"))
    args = parser.parse_args()

    from dataclasses import replace

    from PIL import Image, ImageDraw

    from lift3d.api import ConvertOptions, load_converter
    from lift3d.asset import AssetOptions, build_asset
    from lift3d.asset.preview import render_view
    from lift3d.inputs.detect import locate_object
    from lift3d.inputs.read import read_picture

    converter = load_converter()
    rows = []
    for path in args.pictures:
        picture = read_picture(path)
        found = locate_object(picture)
        options = ConvertOptions(generator=converter.generator)
        options = replace(options, adapters=converter.automatic_adapters(found.kind, options))
        converter.load_adapters(options.adapters)
        cutout = converter.cutout(picture, options, found.kind, found.mask)
        maps = converter.shape_maps(cutout, options, options.seed)
        mesh = converter.mesh(maps, options)
        cells = [np.asarray(Image.fromarray(np.uint8(cutout.rgb * 255)).resize((CELL_PX, CELL_PX)))]
        for switches in (BEFORE, AFTER):
            asset = build_asset(mesh, cutout, maps, AssetOptions(**switches))
            cells += [render_view(asset, angle, CELL_PX) for angle in ANGLES_DEG]
        rows.append(np.concatenate(cells, axis=1))
    image = Image.fromarray(np.concatenate(rows, axis=0))
    draw = ImageDraw.Draw(image)
    titles = ["picture"] + [
        f"{when} {int(angle)} deg" for when in ("before", "after") for angle in ANGLES_DEG
    ]
    for column, title in enumerate(titles):
        draw.text((column * CELL_PX + 4, 2), title, fill=(0, 0, 0))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    image.save(args.out, optimize=True)


if __name__ == "__main__":
    main()
