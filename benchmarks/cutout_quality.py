"""How well the classical cutout finds the object, by kind of picture, and how fast.

Draws the project's own measurement set (`lift3d.data.paper`: line drawings in styles the
detector was not tuned on, drawings photographed on paper, object photos on hard
backdrops) plus two controls that worked before (the `sketch` adapter style on white, and
held-out photos on a plain backdrop), finds each object with the converter's own cutout
(`locate_object`) and reports, per kind: how often the kind is detected right, the median
and worst mask IoU against the truth, and the time per picture. Also times the cutout of a
12-megapixel phone photo (decode + cutout, and cutout alone), and, with --meshes N, converts
N photographed drawings and scores the front-view silhouette of each mesh against the
true mask (a filled shape, not strokes). Constants were tuned on seeds from TUNE_SEED;
report on REPORT_SEED (the default).

Each picture is also cut out by the learned cutout alone (`inputs.learned`) and by what
`locate_object` ships (the classical mask, or the learned one where `SWITCH_RULES`
prefers it), so the table gives classical, learned and shipped IoU side by side, with the
switch rule that would have been best on these pictures (choose it on `--seeds tune`).

With `--baseline REV` the same pictures are also cut out by that revision's code (its `src`
extracted with `git archive`, run in a subprocess) and both are tabled side by side.

    python benchmarks/cutout_quality.py [--n 40] [--seeds report|tune] [--meshes 8] [--baseline REV] [--classical-only] [--json PATH]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from lift3d.data.paper import REPORT_SEED, TUNE_SEED, CutoutCase, measurement_case
from lift3d.inputs.detect import locate_object
from lift3d.types import Picture

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
# The kind a correct detector reports for each measurement kind. A coloured-in drawing may
# be either (a sketch, or a flat-coloured picture); it only counts for the mask.
EXPECTED_KIND = {
    "line": "sketch",
    "paper": "sketch",
    "photo": "photo",
    "sketch-style": "sketch",
    "plain-photo": "photo",
}


def expected_kind(kind: str, variant: str) -> str | None:
    return None if kind == "paper" and "filled" in variant else EXPECTED_KIND[kind]


def iou(found: np.ndarray, truth: np.ndarray) -> float:
    return float((found & truth).sum() / max(int((found | truth).sum()), 1))


def control_case(kind: str, seed: int) -> CutoutCase:
    """The pictures that worked before: the adapter's sketch style, a plain-backdrop photo."""
    if kind == "sketch-style":
        from lift3d.training.adapter_data import synthetic_view

        view, _ = synthetic_view(seed, "sketch")
        return CutoutCase(view.picture, view.coverage > 0.5, kind, "sketch style", seed)
    from lift3d.data.synth import generate_sample
    from lift3d.evaluate.heldout import photo_picture

    sample = generate_sample(seed)
    return CutoutCase(photo_picture(sample).rgb, sample.mask, kind, "plain backdrop", seed)


def make_case(kind: str, seed: int, cache: Path | None) -> CutoutCase:
    path = cache / f"{kind}_{seed}.npz" if cache else None
    if path and path.exists():
        data = np.load(path)
        return CutoutCase(data["rgb"], data["truth"], kind, str(data["variant"]), seed)
    case = measurement_case(kind, seed) if kind in ("line", "paper", "photo") else control_case(kind, seed)
    if path:
        np.savez_compressed(path, rgb=case.rgb, truth=case.truth, variant=case.variant)
    return case


def cut_out(picture: Picture, classical_only: bool) -> dict:
    """Classical, learned and shipped masks of one picture, with their times.

    The shipped mask is what `locate_object` returns: the classical one, or the learned one
    where `choose_mask` prefers it; it is computed here from the two parts (same code,
    same decision) and timed as their sum, so each finder runs once.
    """
    start, cpu_start = time.perf_counter(), time.process_time()
    try:
        if classical_only:  # also what an older revision (--baseline) runs
            found = locate_object(picture)
        else:
            from lift3d.inputs.detect import classical_object

            found = classical_object(picture)
        classical, kind = found.mask, found.kind
    except Exception as error:  # a refusal counts as an empty mask
        classical, kind = None, f"error: {error}"
    result = {
        "classical": classical,
        "kind": kind,
        "seconds": time.perf_counter() - start,
        "cpu": time.process_time() - cpu_start,
    }
    if classical_only:
        return result
    from lift3d.inputs.learned import choose_mask, learned_mask, mask_iou, rescue_mask

    start, cpu_start = time.perf_counter(), time.process_time()
    learned = learned_mask(picture)
    if classical is None:
        rescued = rescue_mask(picture)
        shipped = rescued if rescued is not None else np.zeros(picture.rgb.shape[:2], bool)
    elif kind == "render":
        shipped = classical
    else:
        shipped = choose_mask(picture, classical, kind, learned)
    result |= {
        "learned": learned.mask,
        "confidence": learned.confidence,
        "agreement": mask_iou(learned.mask, classical) if classical is not None else 0.0,
        "shipped": shipped,
        "learned_seconds": time.perf_counter() - start,
        "learned_cpu": time.process_time() - cpu_start,
    }
    return result


def measure(
    kind: str, seeds: list[int], cache: Path | None, classical_only: bool = False
) -> tuple[dict, list[dict]]:
    rows = []
    for seed in seeds:
        case = make_case(kind, seed, cache)
        found = cut_out(case.picture, classical_only)
        empty = np.zeros_like(case.truth)
        row = {
            "kind": kind,
            "seed": seed,
            "variant": case.variant,
            "detected": found["kind"],
            "iou": round(iou(found["classical"] if found["classical"] is not None else empty, case.truth), 4),
            "seconds": round(found["seconds"], 3),
            "cpu_seconds": round(found["cpu"], 3),
        }
        if not classical_only:
            row |= {
                "learned_iou": round(iou(found["learned"], case.truth), 4),
                "shipped_iou": round(iou(found["shipped"], case.truth), 4),
                "confidence": round(found["confidence"], 4),
                "agreement": round(found["agreement"], 4),
                "learned_seconds": round(found["learned_seconds"], 3),
                "shipped_seconds": round(found["seconds"] + found["learned_seconds"], 3),
            }
        rows.append(row)
    ious = np.array([row["iou"] for row in rows])
    worst = rows[int(np.argmin(ious))]
    judged = [row for row in rows if expected_kind(kind, row["variant"])]
    summary = {
        "kind": kind,
        "pictures": len(rows),
        "detected_right": round(
            float(
                np.mean([row["detected"] == expected_kind(kind, row["variant"]) for row in judged] or [0.0])
            ),
            3,
        ),
        "detected_of": len(judged),
        "median_iou": round(float(np.median(ious)), 4),
        "mean_iou": round(float(np.mean(ious)), 4),
        "worst_iou": round(float(ious.min()), 4),
        "worst": f"{worst['variant']} (seed {worst['seed']})",
        "seconds_median": round(float(np.median([row["seconds"] for row in rows])), 3),
        "cpu_seconds_median": round(float(np.median([row["cpu_seconds"] for row in rows])), 3),
    }
    if not classical_only:
        for column in ("learned", "shipped"):
            values = np.array([row[f"{column}_iou"] for row in rows])
            worst = rows[int(np.argmin(values))]
            summary |= {
                f"{column}_median_iou": round(float(np.median(values)), 4),
                f"{column}_mean_iou": round(float(np.mean(values)), 4),
                f"{column}_worst_iou": round(float(values.min()), 4),
                f"{column}_worst": f"{worst['variant']} (seed {worst['seed']})",
                f"{column}_seconds_median": round(
                    float(np.median([row[f"{column}_seconds"] for row in rows])), 3
                ),
            }
        summary["switched_to_learned"] = round(
            float(np.mean([row["shipped_iou"] != row["iou"] for row in rows])), 3
        )
    return summary, rows


def best_rules(rows: list[dict]) -> dict:
    """Per detected kind, the (max agreement, min confidence) switch that maximises the mean shipped IoU."""
    rules = {}
    for detected in sorted({row["detected"] for row in rows if "confidence" in row}):
        group = [row for row in rows if row["detected"] == detected]
        best = (float(np.mean([row["iou"] for row in group])), 0.0, 2.0)
        for agreement in (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 1.01):
            for confidence in (0.0, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95):
                switched = [
                    row["learned_iou"]
                    if row["agreement"] < agreement and row["confidence"] >= confidence
                    else row["iou"]
                    for row in group
                ]
                if float(np.mean(switched)) > best[0] + 1e-4:
                    best = (float(np.mean(switched)), agreement, confidence)
        rules[detected] = {
            "pictures": len(group),
            "classical_mean_iou": round(float(np.mean([row["iou"] for row in group])), 4),
            "best_mean_iou": round(best[0], 4),
            "max_agreement": best[1],
            "min_confidence": best[2],
        }
    return rules


def time_big_photo(repeats: int = 3) -> dict:
    """A 12-megapixel (4000 x 3000) phone photo of a drawing on paper: decode + cutout, and cutout alone."""
    from lift3d.inputs import read_picture

    case = measurement_case("paper", REPORT_SEED)
    big = cv2.resize(
        case.rgb,
        (4000, 3000) if case.rgb.shape[1] > case.rgb.shape[0] else (3000, 4000),
        interpolation=cv2.INTER_CUBIC,
    )
    big = np.clip(big + np.random.default_rng(0).normal(0, 0.01, big.shape), 0, 1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "phone.jpg"
        cv2.imwrite(
            str(path), np.round(big * 255).astype(np.uint8)[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 90]
        )
        total, cutout, cpu = [], [], []
        for _ in range(repeats):
            start = time.perf_counter()
            picture = read_picture(path)
            middle, cpu_start = time.perf_counter(), time.process_time()
            found = locate_object(picture)
            end = time.perf_counter()
            total.append(end - start)
            cutout.append(end - middle)
            cpu.append(time.process_time() - cpu_start)
    return {
        "megapixels": 12.0,
        "working_size": list(picture.rgb.shape[:2]),
        "kind": found.kind,
        "decode_and_cutout_s": round(min(total), 3),
        "cutout_s": round(min(cutout), 3),
        "cutout_cpu_s": round(min(cpu), 3),
    }


def mesh_silhouettes(seeds: list[int], generator: str, cache: Path | None) -> dict:
    """Convert photographed drawings; the front view of each mesh against the true mask in the same frame."""
    from dataclasses import replace

    from lift3d.api import ConvertOptions, load_converter
    from lift3d.inputs.cutout import CutoutOptions, make_cutout

    converter = load_converter(generator)
    scores = []
    for seed in seeds:
        case = make_case("paper", seed, cache)
        found = locate_object(case.picture)
        options = ConvertOptions(generator=generator)
        options = replace(options, adapters=converter.automatic_adapters(found.kind, options))
        converter.load_adapters(options.adapters)
        cutout = make_cutout(
            case.picture, CutoutOptions(size_px=options.cutout_px, kind=found.kind), mask=found.mask
        )
        mesh = converter.mesh(converter.shape_maps(cutout, options, seed=0), options)
        size = cutout.mask.shape[0]
        truth = truth_in_cutout_frame(case.picture, found.mask, case.truth, size)
        silhouette = np.zeros((size, size), np.uint8)
        corners = (np.asarray(mesh.vertices)[:, :2] * [1, -1] + 1) / 2 * size
        for triangle in np.asarray(mesh.faces):
            cv2.fillPoly(silhouette, [np.round(corners[triangle] * 16).astype(np.int32)], 1, shift=4)
        scores.append({"seed": seed, "silhouette_iou": round(iou(silhouette > 0, truth), 4)})
    values = np.array([row["silhouette_iou"] for row in scores])
    return {
        "generator": generator,
        "meshes": len(scores),
        "median_silhouette_iou": round(float(np.median(values)), 4),
        "worst_silhouette_iou": round(float(values.min()), 4),
        "share_at_least_0_85": round(float((values >= 0.85).mean()), 3),
        "rows": scores,
    }


def truth_in_cutout_frame(picture: Picture, found: np.ndarray, truth: np.ndarray, size: int) -> np.ndarray:
    """The true mask framed exactly as the cutout framed the found mask."""
    from lift3d.inputs.cutout import place_on_square
    from lift3d.types import OBJECT_FILL

    rows, cols = np.flatnonzero(found.any(axis=1)), np.flatnonzero(found.any(axis=0))
    x0, x1, y0, y1 = cols[0], cols[-1] + 1, rows[0], rows[-1] + 1
    scale = OBJECT_FILL * size / max(x1 - x0, y1 - y0)
    centre = ((x0 + x1) / 2, (y0 + y1) / 2)
    return place_on_square(truth.astype(np.float32), centre, scale, size, border=0.0) >= 0.5


def baseline_report(revision: str, args: argparse.Namespace, cache: Path | None) -> dict:
    """The same measurement (no 12 MP timing, no meshes) by `revision`'s code, in a subprocess."""
    root = Path(__file__).resolve().parents[1]
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", revision, "src"], capture_output=True, check=True
    )
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(folder, filter="data")
        output = Path(folder) / "baseline.json"
        command = [sys.executable, __file__, "--n", str(args.n), "--seeds", args.seeds, "--kinds", args.kinds]
        command += ["--no-big", "--classical-only", "--json", str(output)] + (
            ["--cache", str(cache)] if cache else []
        )
        environment = dict(os.environ, PYTHONPATH=str(Path(folder) / "src"))
        subprocess.run(command, check=True, env=environment, stdout=subprocess.DEVNULL)
        report = json.loads(output.read_text())
    return {"revision": revision, **report}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=40, help="pictures per kind [default: 40]")
    parser.add_argument("--seeds", choices=["report", "tune"], default="report")
    parser.add_argument("--kinds", default="line,paper,photo,sketch-style,plain-photo")
    parser.add_argument("--meshes", type=int, default=0, help="photographed drawings to convert [default: 0]")
    parser.add_argument(
        "--mesh-generator", default="inflate", help="generator for --meshes [default: inflate]"
    )
    parser.add_argument("--cache", default="", help="folder to keep the drawn pictures in between runs")
    parser.add_argument("--no-big", action="store_true", help="skip the 12-megapixel timing")
    parser.add_argument(
        "--baseline", default="", help="also measure this git revision's cutout on the same pictures"
    )
    parser.add_argument(
        "--classical-only", action="store_true", help="only the classical cutout (as --baseline runs it)"
    )
    parser.add_argument("--json", default=str(RESULTS / "cutout_quality.json"))
    args = parser.parse_args()
    start = REPORT_SEED if args.seeds == "report" else TUNE_SEED
    cache = Path(args.cache) if args.cache else None
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
    seeds = list(range(start, start + args.n))
    summaries, rows = [], []
    print(f"seeds {start}..{start + args.n - 1} ({args.seeds})")
    print(
        f"{'kind':13} {'pictures':>8} {'detected':>9} {'median IoU':>11} {'worst IoU':>10} {'s/picture':>10} {'CPU s':>6}  worst case"
    )
    for kind in args.kinds.split(","):
        summary, kind_rows = measure(kind, seeds, cache, args.classical_only)
        summaries.append(summary)
        rows += kind_rows
        print(
            f"{kind:13} {summary['pictures']:8d} {summary['detected_right']:9.0%} {summary['median_iou']:11.3f} "
            f"{summary['worst_iou']:10.3f} {summary['seconds_median']:10.3f} {summary['cpu_seconds_median']:6.3f}  {summary['worst']}"
        )
    photos = [row for row in rows if row["kind"] == "photo"]
    by_backdrop = {}
    for backdrop in sorted({row["variant"] for row in photos}):
        group = [row for row in photos if row["variant"] == backdrop]
        by_backdrop[backdrop] = {
            f"{prefix}{statistic}_iou": round(float(function([row[f"{prefix}iou"] for row in group])), 4)
            for prefix in ([""] if args.classical_only else ["", "learned_", "shipped_"])
            for statistic, function in (("median", np.median), ("worst", np.min))
        }
        print(
            f"  photo {backdrop:16} median IoU {by_backdrop[backdrop]['median_iou']:.3f}  worst {by_backdrop[backdrop]['worst_iou']:.3f}"
        )
    report: dict = {
        "seeds": args.seeds,
        "first_seed": start,
        "summaries": summaries,
        "photo_backdrops": by_backdrop,
    }
    if not args.classical_only:
        print("classical vs learned vs shipped (median / worst IoU, s/picture):")
        for summary in summaries:
            print(
                f"  {summary['kind']:13} {summary['median_iou']:.3f}/{summary['worst_iou']:.3f}"
                f"   {summary['learned_median_iou']:.3f}/{summary['learned_worst_iou']:.3f}"
                f"   {summary['shipped_median_iou']:.3f}/{summary['shipped_worst_iou']:.3f}"
                f"   {summary['seconds_median']:.3f} -> {summary['shipped_seconds_median']:.3f} s"
                f"   (learned used on {summary['switched_to_learned']:.0%})"
            )
        for backdrop, scores in by_backdrop.items():
            print(
                f"  photo {backdrop:16} {scores['median_iou']:.3f}/{scores['worst_iou']:.3f}"
                f"   {scores['learned_median_iou']:.3f}/{scores['learned_worst_iou']:.3f}"
                f"   {scores['shipped_median_iou']:.3f}/{scores['shipped_worst_iou']:.3f}"
            )
        report["best_switch_rules"] = best_rules(rows)
        print("best switch rule per detected kind on these pictures (tune on --seeds tune only):")
        for detected, rule in report["best_switch_rules"].items():
            print(f"  {detected:8} {rule}")
    if not args.no_big:
        report["big_photo"] = time_big_photo()
        big = report["big_photo"]
        print(
            f"12 MP photo: cutout {big['cutout_s']:.2f} s ({big['cutout_cpu_s']:.2f} s CPU), decode + cutout {big['decode_and_cutout_s']:.2f} s ({big['kind']})"
        )
    if args.meshes:
        report["meshes"] = mesh_silhouettes(seeds[: args.meshes], args.mesh_generator, cache)
        meshes = report["meshes"]
        print(
            f"meshes from photographed drawings ({meshes['generator']}): median front-view IoU "
            f"{meshes['median_silhouette_iou']:.3f}, worst {meshes['worst_silhouette_iou']:.3f}, "
            f"{meshes['share_at_least_0_85']:.0%} at least 0.85"
        )
    if args.baseline:
        baseline = baseline_report(args.baseline, args, cache)
        report["baseline"] = baseline
        print(f"against {args.baseline} (same pictures): detected, median IoU, worst IoU")
        for summary, before in zip(summaries, baseline["summaries"], strict=True):
            print(
                f"  {summary['kind']:13} {before['detected_right']:4.0%} -> {summary['detected_right']:4.0%}"
                f"   {before['median_iou']:.3f} -> {summary['median_iou']:.3f}   {before['worst_iou']:.3f} -> {summary['worst_iou']:.3f}"
            )
        for backdrop, now in by_backdrop.items():
            before = baseline["photo_backdrops"].get(backdrop, {})
            print(
                f"  photo {backdrop:16} median {before.get('median_iou', float('nan')):.3f} -> {now['median_iou']:.3f}"
                f"   worst {before.get('worst_iou', float('nan')):.3f} -> {now['worst_iou']:.3f}"
            )
    report["rows"] = rows
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2))
    print(args.json)


if __name__ == "__main__":
    main()
