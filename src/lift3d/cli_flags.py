"""Command-line flags that every converting command shares (convert, batch), and their options."""

from __future__ import annotations

import argparse

from lift3d.api import GENERATORS, ConvertOptions
from lift3d.errors import OptionError

# Every default below is the option's own, read from its dataclass.
DEFAULTS = ConvertOptions()


def add_conversion_flags(parser: argparse.ArgumentParser) -> None:
    """The ConvertOptions flags, with the same names and help everywhere."""
    parser.add_argument(
        "--generator",
        choices=list(GENERATORS),
        default="",
        help="what imagines the hidden shape: the shipped diffusion model, classical inflation, "
        "or a flat extruded slab [default: diffusion, the best by held-out measurement]",
    )
    parser.add_argument(
        "--faces",
        type=int,
        default=DEFAULTS.max_faces,
        help=f"maximum number of triangles [default: {DEFAULTS.max_faces}]",
    )
    parser.add_argument(
        "--texture-size",
        type=int,
        default=DEFAULTS.texture_px,
        help=f"texture width and height in pixels [default: {DEFAULTS.texture_px}]",
    )
    parser.add_argument(
        "--height",
        type=float,
        default=DEFAULTS.height_m,
        help=f"height of the asset in metres [default: {DEFAULTS.height_m}]",
    )
    parser.add_argument(
        "--pivot",
        choices=["base", "center"],
        default=DEFAULTS.pivot,
        help="where the origin is: base = bottom on the floor (y = 0), centred in x and z; "
        f"center = the middle of the bounding box [default: {DEFAULTS.pivot}]",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULTS.seed,
        help=f"random seed of the generator [default: {DEFAULTS.seed}]",
    )
    parser.add_argument(
        "--hidden-side",
        choices=["fill", "mirror"],
        default=DEFAULTS.hidden_side,
        help="colour of the side the picture cannot see: fill = each region's colour continued from "
        f"the outline, without the front's details; mirror = the front repeated, darker [default: {DEFAULTS.hidden_side}]",
    )
    parser.add_argument(
        "--no-delight",
        dest="delight",
        action="store_false",
        help="keep the picture's light and shadows in the texture (default: divided out, base colour only)",
    )
    parser.add_argument(
        "--quads",
        action="store_true",
        help="also retopologise to quads (Instant Meshes) for editing; .obj and .usdz write them "
        "[needs pip install 'lift3d[quads]']",
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=DEFAULTS.steps,
        help="diffusion sampling steps [default: 1, the most accurate; 10 with --variants so they differ]",
    )
    parser.add_argument(
        "--variants",
        type=int,
        default=DEFAULTS.variants,
        help="N different results from N seeds, as NAME_0 ... NAME_{N-1} [default: 1]",
    )
    parser.add_argument(
        "--ensemble",
        type=int,
        default=DEFAULTS.ensemble,
        help="average K diffusion samples into one [default: 8, or 1 with --variants]",
    )
    parser.add_argument(
        "--adapter",
        dest="adapters",
        action="append",
        default=[],
        metavar="NAME_OR_PATH[:WEIGHT]",
        help="apply a LoRA adapter (a shipped name, see `lift3d adapter list`, or a .safetensors file) "
        "at WEIGHT [default: 1]; repeat to stack several",
    )
    parser.add_argument(
        "--no-auto-adapter",
        dest="auto_adapter",
        action="store_false",
        help="do not apply the shipped adapter made for the detected kind of picture (e.g. sketch)",
    )


# The flag of each ConvertOptions field, so a refusal names what the user typed.
FLAG_NAMES = {
    "generator": "--generator",
    "max_faces": "--faces",
    "texture_px": "--texture-size",
    "height_m": "--height",
    "pivot": "--pivot",
    "seed": "--seed",
    "steps": "--steps",
    "variants": "--variants",
    "ensemble": "--ensemble",
    "adapters": "--adapter",
    "auto_adapter": "--no-auto-adapter",
    "rig": "--rig",
    "auto_rig": "--no-rig",
    "animations": "--animations",
    "mask": "--mask",
}


def conversion_options(args: argparse.Namespace, resolve: bool = True) -> ConvertOptions:
    """ConvertOptions from the flags added by add_conversion_flags, resolved to a generator unless not `resolve`."""
    try:
        options = _options_from_flags(args)
        return options.resolved() if resolve else options
    except OptionError as error:  # name the flag the user typed, not the API's field
        flag = FLAG_NAMES.get(error.option)
        if not flag:
            raise
        raise OptionError(str(error).replace(error.option, flag, 1), option=error.option) from None


def _options_from_flags(args: argparse.Namespace) -> ConvertOptions:
    return ConvertOptions(
        generator=args.generator,
        max_faces=args.faces,
        texture_px=args.texture_size,
        height_m=args.height,
        seed=args.seed,
        steps=args.steps,
        variants=args.variants,
        ensemble=args.ensemble,
        adapters=tuple(args.adapters),
        auto_adapter=args.auto_adapter,
        pivot=args.pivot,
        delight=args.delight,
        hidden_side=args.hidden_side,
        quads=args.quads,
    )
