"""Command-line flags that every converting command shares (convert, batch), and their options."""

from __future__ import annotations

import argparse

from lift3d.api import GENERATORS, ConvertOptions


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
        "--faces", type=int, default=20000, help="maximum number of triangles [default: 20000]"
    )
    parser.add_argument(
        "--texture-size", type=int, default=1024, help="texture width and height in pixels [default: 1024]"
    )
    parser.add_argument(
        "--height", type=float, default=1.0, help="height of the asset in metres [default: 1.0]"
    )
    parser.add_argument(
        "--pivot",
        choices=["base", "center"],
        default="base",
        help="where the origin is: base = bottom on the floor (y = 0), centred in x and z; "
        "center = the middle of the bounding box [default: base]",
    )
    parser.add_argument(
        "--quads",
        action="store_true",
        help="also retopologise to quads (Instant Meshes) for editing; .obj and .usdz write them "
        "[needs pip install 'lift3d[quads]']",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed of the generator [default: 0]")
    parser.add_argument(
        "--steps",
        type=int,
        default=0,
        help="diffusion sampling steps [default: 1, the most accurate; 10 with --variants so they differ]",
    )
    parser.add_argument(
        "--variants",
        type=int,
        default=1,
        help="N different results from N seeds, as NAME_0 ... NAME_{N-1} [default: 1]",
    )
    parser.add_argument(
        "--ensemble",
        type=int,
        default=0,
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


def conversion_options(args: argparse.Namespace) -> ConvertOptions:
    """ConvertOptions from the flags added by add_conversion_flags, resolved to a generator."""
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
        quads=args.quads,
    ).resolved()
