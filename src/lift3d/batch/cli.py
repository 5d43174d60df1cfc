"""The `lift3d batch` subcommand: parse, run the batch with a progress bar, print the summary."""

from __future__ import annotations

import argparse
import sys

from lift3d.batch.options import DEFAULT_PATTERNS, EXIT_SOME_FAILED, FORMATS
from lift3d.cli_flags import add_conversion_flags, conversion_options

EPILOG = f"""Outputs mirror the input tree: IN_DIR/a/mug.png becomes OUT_DIR/a/mug.glb (+ mug.lift3d.json,
the settings and model that made it). OUT_DIR/manifest.jsonl gets one line per finished or failed
picture. Run the same command again after a crash or Ctrl-C: a picture is skipped when the manifest
says ok and its outputs exist, unless the picture file or the settings changed since. Pictures that
failed are skipped too, unless --retry-failed is given.

Other kinds of input (as `lift3d convert --kind`) are named by their entry: a folder walk.frames/,
mug.views/ or bracket.ortho/ is one input made of its pictures (natural name order), and a picture
house.plan.png, bracket.ortho.png or walk.frames.gif is one input of that kind; they become walk.glb,
house.glb ... Each takes the options its kind uses (a plan ignores --faces); frames and plans are .glb.
A views folder may hold cameras.json (as `lift3d convert --cameras` reads it).

Ray: `ray start --head` on one machine, `ray start --address=HEAD_IP:6379` on the others (each with
lift3d[cluster] installed), then `lift3d batch IN OUT --ray auto` on the head, or
`--ray ray://HEAD_IP:10001` from elsewhere. Pictures are read and outputs written by this command,
so the workers need no shared folder. `--ray local` tries it on this machine alone.

Exit status: 0 when every picture is converted; {EXIT_SOME_FAILED} when the batch finished but some
pictures failed (listed above and in the manifest); 1 Ray missing or unreachable; 2 bad option or
input folder; 3 output not writable; 4 model weights missing; 130 interrupted.

Default patterns: {" ".join(DEFAULT_PATTERNS)}"""


def add_batch(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "batch",
        help="convert every picture in a folder (resumable; local processes or a Ray cluster)",
        description="Convert every picture under IN_DIR into a textured 3D asset under OUT_DIR, "
        "on N local processes or a Ray cluster. Safe to interrupt and run again.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input_dir", metavar="IN_DIR", help="folder of pictures, searched recursively")
    parser.add_argument("output_dir", metavar="OUT_DIR", help="folder for the assets and manifest.jsonl")
    parser.add_argument(
        "--glob",
        dest="patterns",
        action="append",
        metavar="PATTERN",
        help="pictures to take, e.g. '*.png' or 'chairs/*.jpg' (repeatable; case-insensitive; "
        "a pattern without '/' matches file names at any depth) [default: common picture types]",
    )
    parser.add_argument("--format", choices=FORMATS, default="glb", help="output format [default: glb]")
    add_conversion_flags(parser)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="local worker processes, or Ray actors with --ray; each loads the model once "
        "[default: 1 locally, the whole cluster with --ray]",
    )
    parser.add_argument(
        "--ray",
        dest="ray_address",
        default="",
        metavar="ADDRESS",
        help="run on a Ray cluster: 'auto' (the cluster this machine belongs to), 'ray://HOST:10001', "
        "'HOST:6379', or 'local' (a private Ray on this machine); needs lift3d[cluster]",
    )
    parser.add_argument(
        "--cpus-per-worker", type=float, default=1.0, help="CPUs Ray reserves for each actor [default: 1]"
    )
    parser.add_argument(
        "--retry-failed", action="store_true", help="convert again the pictures that failed before"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bar (failures and the summary still print)"
    )
    parser.set_defaults(run=run_batch_command)


def run_batch_command(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from lift3d.batch.manifest import FAILED, ItemRecord
    from lift3d.batch.options import BatchOptions
    from lift3d.batch.run import BatchSummary, run_batch

    options = conversion_options(args)
    batch = BatchOptions(
        input_dir=args.input_dir,
        output_dir=args.output_dir,
        patterns=tuple(args.patterns) if args.patterns else DEFAULT_PATTERNS,
        format=args.format,
        workers=args.workers,
        retry_failed=args.retry_failed,
        ray_address=args.ray_address,
        cpus_per_worker=args.cpus_per_worker,
    )
    bar = tqdm(total=0, unit="picture", disable=True)  # replaced once the pictures are counted

    def on_start(summary: BatchSummary) -> None:
        nonlocal bar
        if summary.dropped_torn_line:
            tqdm.write(
                "lift3d: the manifest's last line was cut short by a crash; dropped it", file=sys.stderr
            )
        if summary.ignored_manifest_lines:
            count = summary.ignored_manifest_lines
            tqdm.write(f"lift3d: ignored {count} unreadable manifest line(s)", file=sys.stderr)
        if summary.done_before or summary.failed_before:
            tqdm.write(
                f"lift3d: resuming: {summary.done_before} done earlier, "
                f"{summary.failed_before} failed earlier, {summary.to_convert} to convert",
                file=sys.stderr,
            )
        bar = tqdm(
            total=summary.to_convert, unit="picture", disable=args.quiet, dynamic_ncols=True, smoothing=0.1
        )

    def on_item(record: ItemRecord, summary: BatchSummary) -> None:
        if record.status == FAILED:
            bar.write(f"failed: {record.input}: {record.error}", file=sys.stderr)
        bar.set_postfix(failed=summary.failed, refresh=False)
        bar.update(1)

    try:
        summary = run_batch(batch, options, on_start=on_start, on_item=on_item)
    finally:
        bar.close()
    print(f"lift3d batch: {summary.line()}")  # noqa: T201 - the command's result
    return summary.exit_code
