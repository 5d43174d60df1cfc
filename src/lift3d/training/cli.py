"""The `lift3d adapter` commands: train, list, info, merge, fuse. Parse, call, print."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from pathlib import Path

from lift3d.errors import ModelError

# Help text lives once, on the config fields; the flags below reuse it.
_FLAGS = {
    "rank": "--rank",
    "alpha": "--alpha",
    "steps": "--steps",
    "learning_rate": "--lr",
    "batch_size": "--batch-size",
    "seed": "--seed",
    "heldout_fraction": "--heldout",
    "threads": "--threads",
}


def _model_dir(given: str | None) -> Path:
    if given:
        return Path(given)
    from lift3d.generate.diffusion.weights import shipped_model_dir

    shipped = shipped_model_dir()
    if shipped is None:
        raise ModelError("the shipped diffusion model is not installed; give --model FOLDER")
    return shipped


def add_adapter(commands: argparse._SubParsersAction) -> None:
    from lift3d.data.styles import STYLES
    from lift3d.generate.adapters.config import AdapterConfig

    parser = commands.add_parser(
        "adapter",
        help="train, inspect, merge and fuse LoRA style adapters",
        description="LoRA adapters specialise the shape model to a picture style (toon, sketch, blueprint) "
        "or to your own objects. Use one with `lift3d convert --adapter NAME_OR_PATH[:WEIGHT]`.",
    )
    adapter_commands = parser.add_subparsers(dest="adapter_command", required=True)

    train = adapter_commands.add_parser(
        "train",
        help="train an adapter on your meshes, picture/mesh pairs or synthetic shapes",
        description="Render training pairs in a style and train a LoRA adapter on the frozen base model. "
        "Re-running the same command resumes from OUT/checkpoint. Writes OUT/OUT.safetensors, "
        "OUT/adapter.json (settings, data, held-out base-vs-adapted scores) and OUT/log.jsonl.",
    )
    source = train.add_mutually_exclusive_group(required=True)
    source.add_argument("--meshes", metavar="FOLDER", help="folder of your GLB/OBJ/PLY/STL meshes")
    source.add_argument("--pairs", metavar="FILE.jsonl", help="lines of {picture, mesh[, camera]}")
    source.add_argument("--synthetic", type=int, metavar="N", help="N of lift3d's procedural shapes")
    train.add_argument("--style", choices=STYLES, default="photo", help="picture style [default: photo]")
    train.add_argument("--out", required=True, help="run folder; its name becomes the adapter's name")
    train.add_argument("--model", help="base model folder [default: the shipped model]")
    train.add_argument("--views", type=int, default=8, help="views rendered per mesh [default: 8]")
    defaults = {field.name: field for field in fields(AdapterConfig)}
    for name, flag in _FLAGS.items():
        field = defaults[name]
        train.add_argument(
            flag,
            dest=name,
            type=type(field.default),
            default=field.default,
            help=f"{field.metadata['help']} [default: {field.default}]",
        )
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    train.set_defaults(run=run_adapter_train)

    listing = adapter_commands.add_parser("list", help="the adapters shipped with lift3d")
    listing.set_defaults(run=run_adapter_list)

    info = adapter_commands.add_parser(
        "info", help="check an adapter file and show what it says about itself"
    )
    info.add_argument("adapter", metavar="NAME_OR_PATH")
    info.add_argument(
        "--model", help="base model folder the adapter must fit [default: the shipped model, if installed]"
    )
    info.set_defaults(run=run_adapter_info)

    merge = adapter_commands.add_parser(
        "merge",
        help="combine adapters into one file",
        description="Write one adapter equal to loading the given ones stacked at their weights.",
    )
    merge.add_argument("adapters", nargs="+", metavar="NAME_OR_PATH[:WEIGHT]")
    merge.add_argument("-o", "--output", required=True, help="merged .safetensors file")
    merge.set_defaults(run=run_adapter_merge)

    fuse = adapter_commands.add_parser(
        "fuse",
        help="bake adapters into a copy of the base model",
        description="Write a new model folder with the adapters fused into its weights (no peft needed to run it). "
        "Load it like any model folder, e.g. lift3d.api.Converter(model_dir=OUT).",
    )
    fuse.add_argument("adapters", nargs="+", metavar="NAME_OR_PATH[:WEIGHT]")
    fuse.add_argument("--out", required=True, help="new model folder (must not exist or be empty)")
    fuse.add_argument("--model", help="base model folder [default: the shipped model]")
    fuse.set_defaults(run=run_adapter_fuse)


def run_adapter_train(args: argparse.Namespace) -> int:
    from lift3d.generate.adapters.config import AdapterConfig
    from lift3d.generate.diffusion.pipeline import ShapeDiffusion
    from lift3d.training.adapter_data import make_pairs
    from lift3d.training.adapters import train_adapter

    config = AdapterConfig(style=args.style, **{name: getattr(args, name) for name in _FLAGS})
    model = ShapeDiffusion.from_pretrained(_model_dir(args.model))
    pairs = make_pairs(
        args.style,
        model.size_px,
        meshes=args.meshes,
        pairs_file=args.pairs,
        synthetic=args.synthetic or 0,
        views_per_mesh=args.views,
        seed=args.seed,
        progress=not args.quiet,
    )
    result = train_adapter(model, pairs, config, args.out, progress=not args.quiet)
    print(result.path)
    if not args.quiet:
        print(json.dumps(result.metrics), file=sys.stderr)
    kept = result.metrics.get("kept_step")
    if kept == 0:
        print(
            "warning: no checkpoint beat the base on the held-out meshes, so the adapter is saved "
            "untrained (it changes nothing); try more varied meshes or fewer steps",
            file=sys.stderr,
        )
    elif kept is not None and kept < config.steps:
        print(f"kept the adapter from step {kept}, the best on the held-out meshes", file=sys.stderr)
    return 0


def run_adapter_list(args: argparse.Namespace) -> int:
    from lift3d.generate.adapters.files import list_adapters

    adapters = list_adapters()
    for info in adapters:
        print(info.summary())
    if not adapters:
        print("no adapters are shipped with this installation", file=sys.stderr)
    return 0


def run_adapter_info(args: argparse.Namespace) -> int:
    from lift3d.generate.adapters.files import check_adapter

    # Every check a conversion makes: a file `info` describes is one `convert` accepts.
    print(json.dumps(check_adapter(args.adapter, args.model).as_dict(), indent=2))
    return 0


def run_adapter_merge(args: argparse.Namespace) -> int:
    from lift3d.generate.adapters.files import merge_adapters, parse_adapter_specs

    specs = parse_adapter_specs(args.adapters)
    print(merge_adapters([source for source, _ in specs], [weight for _, weight in specs], args.output))
    return 0


def run_adapter_fuse(args: argparse.Namespace) -> int:
    from lift3d.generate.adapters.files import fuse_adapter, parse_adapter_specs

    print(fuse_adapter(_model_dir(args.model), list(parse_adapter_specs(args.adapters)), args.out))
    return 0
