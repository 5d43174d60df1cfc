"""Where normal consistency is lost on the real-shape set: the model against the true shape maps.

`lift3d eval --real` shows the model beating inflation by less normal consistency (NC)
than hoped. This asks why, by meshing other maps through the very same convert path
(cutout -> shape maps -> `maps_to_mesh` -> asset) on the same RGBA pictures:

* inflate, model: the classical generator and the shipped diffusion model, as the eval runs them;
* true maps: front_z/back_z rendered from the ground-truth mesh in the cutout's frame
  and shrunk to the model's size exactly as training targets are (rendered at the
  sample size, then `shrink_sample_arrays`): the ceiling of 64 px maps and the mesher;
* true mid + model thickness, model mid + true thickness: the maps split into
  mid-surface (front + back) / 2 and half-thickness (front - back) / 2, one half true
  and the other the model's, to say which of the two the model gets wrong;
* true front + model thickness: the true visible surface with the back following it at
  the model's thickness, the most that reading the picture's shading perfectly could
  give a model that still guesses the thickness.

NC is also split by the true surface's facing: side-facing points have normals within
30 degrees of perpendicular to the view direction (|n_z| < SIDE_COS), front-facing the
rest; each is averaged over both directions of the metric's own matching, as NC is.

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/real_ceiling.py [--n N] [--views 2]
        [--json benchmarks/results/real_ceiling.json]

Needs `pip install 'lift3d[real]'` and the shipped model; about 10 s per view (six
meshes) on one core, 17 minutes for the 106 views of `--views 2` (the default).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import trimesh
from scipy import ndimage

from lift3d.api import Converter, ConvertOptions
from lift3d.data.materials import random_material
from lift3d.data.render import random_lighting, render
from lift3d.evaluate.heldout import converter_method, rendered_picture
from lift3d.evaluate.metrics import MeshScores, SurfaceMatch, match_surfaces, sample_truth, scores_from_match
from lift3d.evaluate.options import EvalOptions
from lift3d.evaluate.real import PACKAGES, SkippedObject, picture_sample, real_views, view_plan
from lift3d.evaluate.report import EvalReport, EvalRow, format_table
from lift3d.files import atomic_path
from lift3d.generate.diffusion.weights import load_shape_model
from lift3d.images import extend_beyond_mask
from lift3d.types import OBJECT_FILL, Cutout, Sample, ShapeMaps

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
SIDE_COS = 0.5  # |cos| between a true normal and the view direction below which a point faces sideways
THIN_Z = 0.2  # true thickness (view units; the object spans 1.6 across) under which a part is thin
RIM_PX = 2.0  # map pixels from the outline within which thinness is the rim's, not the part's

Combine = Callable[[ShapeMaps, ShapeMaps], ShapeMaps]  # (model maps, true maps) -> maps to mesh
Replace = Callable[[ShapeMaps, Cutout], ShapeMaps]  # (model maps, the cutout) -> maps to mesh


def truth_in_cutout_frame(sample: Sample, cutout: Cutout) -> np.ndarray:
    """The true mesh's vertices moved from the picture's view frame into the cutout's.

    The cutout centres the mask's pixel box and scales its longer side to OBJECT_FILL,
    which differs from the renderer's placement by up to a pixel; the maps must match
    the cutout's mask or the rim would be judged on misplaced depths.
    """
    picture_px = sample.rgba.shape[0]
    x0, y0, x1, y1 = cutout.crop_box
    scale = OBJECT_FILL * picture_px / max(x1 - x0, y1 - y0)
    centre = np.array([(x0 + x1) / picture_px - 1.0, 1.0 - (y0 + y1) / picture_px, 0.0])
    return scale * (np.asarray(sample.vertices, dtype=np.float64) - centre)


def true_maps(sample: Sample, cutout: Cutout, map_px: int) -> ShapeMaps:
    """Front and back maps of the true mesh in the cutout's frame, made as training targets are."""
    from lift3d.training.base import shrink_sample_arrays

    picture_px = sample.rgba.shape[0]
    rng = np.random.default_rng(0)  # material and light do not touch the depth maps
    faces = np.asarray(sample.faces)
    rendering = render(
        truth_in_cutout_frame(sample, cutout),
        faces,
        np.zeros(len(faces), dtype=np.int64),
        (random_material(rng),),
        random_lighting(rng),
        size_px=picture_px,
    )
    _, maps = shrink_sample_arrays(
        rendering.rgba[None], rendering.front_z[None], rendering.back_z[None], map_px
    )
    factor = picture_px // map_px
    on_object = rendering.mask.reshape(map_px, factor, map_px, factor).any(axis=(1, 3))
    # off the true outline the maps are 0; the cutout's mask may reach a pixel further
    front, back = (extend_beyond_mask(values.astype(np.float32), on_object) for values in maps[0])
    return ShapeMaps(mask=cutout.mask, front_z=front, back_z=back)


def mixed_maps(middle_from: ShapeMaps, thickness_from: ShapeMaps) -> ShapeMaps:
    """The mid-surface of one pair of maps with the half-thickness of another."""
    middle = 0.5 * (middle_from.front_z + middle_from.back_z)
    half = 0.5 * (thickness_from.front_z - thickness_from.back_z)
    return ShapeMaps(mask=middle_from.mask, front_z=middle + half, back_z=middle - half)


def front_and_thickness(front_from: ShapeMaps, thickness_from: ShapeMaps) -> ShapeMaps:
    """The front surface of one pair of maps with the back behind it at another pair's thickness."""
    thickness = np.maximum(thickness_from.front_z - thickness_from.back_z, 0.0)
    front = front_from.front_z
    return ShapeMaps(mask=front_from.mask, front_z=front, back_z=front - thickness)


class ReplacedMapsConverter(Converter):
    """The shipped model's converter with its maps swapped for `replace(model maps, cutout)`.

    Only the generate stage changes, so true and hybrid maps are meshed and cleaned
    exactly as the model's are.
    """

    def __init__(self, replace: Replace) -> None:
        super().__init__("diffusion")  # the model is cached: building one per picture is cheap
        self.replace = replace

    def shape_maps(self, cutout: Cutout, options: ConvertOptions, seed: int) -> ShapeMaps:
        return self.replace(super().shape_maps(cutout, options, seed), cutout)


NO_MAP_ERRORS = dict.fromkeys(
    ("mid_error", "half_thickness_error", "thin_share", "thin_thickness_ratio"), np.nan
)


def map_errors(model: ShapeMaps, truth: ShapeMaps) -> dict[str, float]:
    """How the model's maps differ from the true ones over the object, in view units.

    Mean |error| of the mid-surface (less its median shift) and of the half-thickness, and
    the model's thickness over the truth's where the truth is thin (under THIN_Z, more
    than RIM_PX inside the outline: bars, handles, plates of bone seen across). The true
    maps' mask is the cutout's, at the picture's resolution.
    """
    from lift3d.reconstruct.surface import resample

    inside = resample(truth.mask.astype(np.float32), model.front_z.shape[0]) > 0.5

    def halves(maps: ShapeMaps) -> tuple[np.ndarray, np.ndarray]:
        return 0.5 * (maps.front_z + maps.back_z)[inside], 0.5 * (maps.front_z - maps.back_z)[inside]

    (model_middle, model_half), (true_middle, true_half) = halves(model), halves(truth)
    # every smooth solid is thin at its rim; a thin part is thin away from the outline too
    away_from_rim = (ndimage.distance_transform_edt(inside) > RIM_PX)[inside]
    thin = (2 * true_half < THIN_Z) & away_from_rim
    offset = model_middle - true_middle
    return {
        # the metric fits a shift, so a mid-surface offset by a constant depth costs nothing
        "mid_error": float(np.abs(offset - np.median(offset)).mean()),
        "half_thickness_error": float(np.abs(model_half - true_half).mean()),
        "thin_share": float(thin.mean()),
        "thin_thickness_ratio": float(model_half[thin].sum() / max(true_half[thin].sum(), 1e-6))
        if thin.any()
        else float("nan"),
    }


def replaced_maps_method(replace_for: Callable[[Sample], Replace]) -> Callable[[Sample], trimesh.Trimesh]:
    """An eval method meshing, for each sample, the model's maps as `replace_for(sample)` changes them."""

    def run(sample: Sample) -> trimesh.Trimesh:
        converter = ReplacedMapsConverter(replace_for(sample))
        return converter_method("diffusion", rendered_picture, converter=converter)(sample)

    return run


def with_truth(combine: Combine) -> Callable[[Sample], Replace]:
    """Replacement by `combine(model maps, true maps)`, the true maps at the model's size."""

    def replace_for(sample: Sample) -> Replace:
        return lambda model, cutout: combine(model, true_maps(sample, cutout, model.front_z.shape[0]))

    return replace_for


def methods(seen: Callable[[ShapeMaps, ShapeMaps], None]) -> dict[str, Callable[[Sample], trimesh.Trimesh]]:
    """The six ways to mesh a view; the true-maps one also hands (model maps, true maps) to `seen`."""

    def truth_after_seeing(model: ShapeMaps, truth: ShapeMaps) -> ShapeMaps:
        seen(model, truth)
        return truth

    return {
        "inflate": converter_method("inflate", rendered_picture),
        "model": converter_method("diffusion", rendered_picture),
        "true maps": replaced_maps_method(with_truth(truth_after_seeing)),
        "true mid + model thick": replaced_maps_method(
            with_truth(lambda model, truth: mixed_maps(truth, model))
        ),
        "model mid + true thick": replaced_maps_method(
            with_truth(lambda model, truth: mixed_maps(model, truth))
        ),
        "true front + model thick": replaced_maps_method(
            with_truth(lambda model, truth: front_and_thickness(truth, model))
        ),
    }


def facing_consistency(match: SurfaceMatch | None) -> dict[str, float]:
    """NC over side-facing and front-facing true surface, and the side share of the truth's points."""
    if match is None:
        return {"side": 0.0, "front": 0.0, "side_share": float("nan"), "side_loss": 0.5, "front_loss": 0.5}
    side_of_prediction = np.abs(match.prediction_truth_normals[:, 2]) < SIDE_COS
    side_of_truth = np.abs(match.truth_normals[:, 2]) < SIDE_COS

    def mean(pick: np.ndarray, chosen: np.ndarray) -> float:
        """Both directions' mean, or the one that has points of this kind (a sliver may have none)."""
        means = [
            cosines[selected].mean()
            for cosines, selected in ((match.prediction_cosines, pick), (match.truth_cosines, chosen))
            if selected.any()
        ]
        return float(np.mean(means)) if means else float("nan")

    result = {
        name: mean(pick, chosen)
        for name, pick, chosen in (
            ("side", side_of_prediction, side_of_truth),
            ("front", ~side_of_prediction, ~side_of_truth),
        )
    }
    share = float(side_of_truth.mean())  # 0 or 1 exactly when the truth has no points of the other kind
    # NC lost to each kind of surface: its share of the truth times what it misses; the two
    # add up to about 1 - NC (exactly if both directions of the match split alike)
    losses = {
        "side_loss": share * (1.0 - result["side"]) if share > 0 else 0.0,
        "front_loss": (1.0 - share) * (1.0 - result["front"]) if share < 1 else 0.0,
    }
    return {**result, "side_share": share, **losses}


def run(count: int | None, views: int) -> tuple[EvalReport, list[dict], list[dict], list[SkippedObject]]:
    options = EvalOptions()
    errors: list[dict[str, float]] = []  # the map errors of the view at hand, if its true-maps run got so far
    runners = methods(lambda model, truth: errors.append(map_errors(model, truth)))
    plan = view_plan(views)[:count]
    rows: list[EvalRow] = []
    facing: list[dict] = []
    maps: list[dict] = []
    skipped: list[SkippedObject] = []
    for position, rendered in real_views(plan, skipped):
        sample = picture_sample(rendered, "rgba")
        truth = sample_truth(sample.mesh(), options)
        errors.clear()
        for name, method in runners.items():
            start = time.perf_counter()
            error = None
            try:
                mesh = method(sample)
            except Exception as exception:  # a failed view is a result, scored as the worst
                mesh, error = None, f"{type(exception).__name__}: {exception}"
            seconds = time.perf_counter() - start
            match = None if mesh is None else match_surfaces(mesh, truth, options)
            scores = MeshScores.failure(options) if mesh is None else scores_from_match(match, mesh, options)
            rows.append(EvalRow(name, position, sample.family, sample.seed, scores, seconds, error))
            facing.append(
                {
                    "method": name,
                    "sample_index": position,
                    "object": rendered.item.name,
                    "view": rendered.view,
                }
                | facing_consistency(match)
            )
        maps.append({"sample_index": position, "object": rendered.item.name, "view": rendered.view})
        maps[-1] |= errors[0] if errors else NO_MAP_ERRORS
        print(
            f"{position:4d} {rendered.item.name:16} "
            + " ".join(f"{row.scores.normal_consistency:.3f}" for row in rows[-len(runners) :]),
            flush=True,
        )
    return EvalReport.from_rows(rows, options), facing, maps, skipped


def facing_summary(report: EvalReport, facing: list[dict]) -> dict[str, dict[str, float]]:
    """Per method: F@0.05, Chamfer-L1, NC overall, on side-facing and front-facing truth."""
    summary = {}
    for method, overall in report.overall.items():
        mine = [item for item in facing if item["method"] == method]
        summary[method] = {
            "fscore_005": overall.fscore_005,
            "chamfer_l1": overall.chamfer_l1,
            "normal_consistency": overall.normal_consistency,
            "nc_side": float(np.nanmean([item["side"] for item in mine])),
            "nc_front": float(np.nanmean([item["front"] for item in mine])),
            "side_share": float(np.nanmean([item["side_share"] for item in mine])),
            "side_loss": float(np.mean([item["side_loss"] for item in mine])),
            "front_loss": float(np.mean([item["front_loss"] for item in mine])),
            "failures": overall.failures,
        }
    return summary


def summary_table(summary: dict[str, dict[str, float]]) -> str:
    model = summary["model"]
    lines = [
        f"{'method':24} {'F@0.05':>7} {'Chamfer':>8} {'NC':>6} {'dNC':>7} {'NC side':>8} {'NC front':>9}"
        f" {'lost side':>10} {'lost front':>11}"
    ]
    for method, values in summary.items():
        lines.append(
            f"{method:24} {values['fscore_005']:7.3f} {values['chamfer_l1']:8.4f} "
            f"{values['normal_consistency']:6.3f} "
            f"{values['normal_consistency'] - model['normal_consistency']:+7.3f} "
            f"{values['nc_side']:8.3f} {values['nc_front']:9.3f} "
            f"{values['side_loss']:10.3f} {values['front_loss']:11.3f}"
        )
    share = model["side_share"]
    lines.append(
        f"(dNC: against the model; side-facing = |n_z| < {SIDE_COS}, {share:.0%} of the true surface)"
    )
    return "\n".join(lines)


def family_table(report: EvalReport) -> str:
    lines = [f"{'family':12} " + " ".join(f"{method[:22]:>23}" for method in report.methods) + "  (NC)"]
    for family in report.families:
        cells = [f"{report.per_family[method][family].normal_consistency:23.3f}" for method in report.methods]
        lines.append(f"{family:12} " + " ".join(cells))
    return "\n".join(lines)


def map_error_medians(maps: list[dict]) -> dict[str, float]:
    """Medians over views: a few very deep objects (an arm seen end-on) would swamp a mean."""
    keys = ("mid_error", "half_thickness_error", "thin_share", "thin_thickness_ratio")
    return {key: float(np.nanmedian([item[key] for item in maps])) for key in keys}


def map_error_summary(maps: list[dict]) -> str:
    medians = map_error_medians(maps)
    ratios = [item["thin_thickness_ratio"] for item in maps if item["thin_share"] > 0]
    thicker = sum(ratio > 1 for ratio in ratios)
    return (
        f"model maps against the true ones (view units, median over views): mid-surface "
        f"{medians['mid_error']:.4f}, half-thickness {medians['half_thickness_error']:.4f}; "
        f"{len(ratios)} views have parts thinner than {THIN_Z}: the model makes them "
        f"{medians['thin_thickness_ratio']:.2f} times as thick (median), thicker in {thicker}"
    )


def largest_gaps(report: EvalReport, facing: list[dict], maps: list[dict], count: int = 10) -> str:
    """The views where the model's NC falls furthest below the true maps': what it cannot yet do."""
    names = {item["sample_index"]: f"{item['object']}/{item['view']}" for item in facing}
    by_view: dict[int, dict[str, float]] = {}
    for row in report.rows:
        by_view.setdefault(row.sample_index, {})[row.method] = row.scores.normal_consistency
    gaps = sorted(by_view.items(), key=lambda item: item[1]["model"] - item[1]["true maps"])[:count]
    errors = {item["sample_index"]: item for item in maps}
    lines = [
        f"largest NC gaps (model - true maps): {'view':22} {'inflate':>7} {'model':>7} {'true':>7}"
        f" {'mid err':>8} {'half err':>8} {'thin x':>7}"
    ]
    lines += [
        f"{'':37}{names[index]:22} {nc['inflate']:7.3f} {nc['model']:7.3f} {nc['true maps']:7.3f}"
        f" {errors[index]['mid_error']:8.4f} {errors[index]['half_thickness_error']:8.4f}"
        f" {errors[index]['thin_thickness_ratio']:7.2f}"
        for index, nc in gaps
    ]
    return "\n".join(lines)


def json_ready(value: object) -> object:
    """The document with NaN (a mean over no points) as null, which JSON can hold."""
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    return None if isinstance(value, float) and value != value else value


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=None, help="first N views only (families take turns)")
    parser.add_argument("--views", type=int, default=2, help="fixed views per object")
    parser.add_argument("--json", default=str(RESULTS / "real_ceiling.json"))
    args = parser.parse_args()
    start = time.perf_counter()
    report, facing, maps, skipped = run(args.n, args.views)
    seconds = time.perf_counter() - start
    summary = facing_summary(report, facing)
    views = len({row.sample_index for row in report.rows})
    print(f"\nreal-shape set, rgba pictures: {views} views, {seconds:.0f} s\n{format_table(report)}")
    print(family_table(report))
    print(summary_table(summary))
    print(largest_gaps(report, facing, maps))
    print(map_error_summary(maps))
    if skipped:
        print("skipped: " + "; ".join(f"{item.name} ({item.reason})" for item in skipped))
    document = {
        "summary": summary,
        "model": load_shape_model().identity,
        "side_cos": SIDE_COS,
        "views": views,
        "views_per_object": args.views,
        "count": args.n,
        "seconds": seconds,
        "packages": {key: asdict(package) for key, package in PACKAGES.items()},
        "skipped": [asdict(item) for item in skipped],
        "thin_z": THIN_Z,
        "map_errors": map_error_medians(maps),
        "facing": facing,
        "maps": maps,
        "report": report.to_dict(),
    }
    with atomic_path(args.json) as tmp:
        tmp.write_text(json.dumps(json_ready(document), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    print(f"-> {args.json}")


if __name__ == "__main__":
    main()
