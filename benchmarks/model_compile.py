"""Does torch.compile pay off for the shape model's inference? Eager vs compiled, same run.

The model's share of a default convert is small (8 one-step samples, about 0.16 s of
1.8 s warm), so this measures whether compiling the UNet is worth its compile time:
warm seconds per default predict (median of --repeats) eager and compiled, the one-off
compile time, and the largest difference between their maps. Prints a table and writes
benchmarks/results/model_compile.json.

    python benchmarks/model_compile.py [--sample samples/creature_photo.png] [--repeats 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import cast

import numpy as np
import torch

from lift3d.api import ConvertOptions, load_converter
from lift3d.generate.diffusion.model import ShapeUNet
from lift3d.inputs import read_picture
from lift3d.inputs.detect import detect_kind

ROOT = Path(__file__).resolve().parents[1]


def timed_predicts(model, cutout, repeats: int) -> tuple[list[float], np.ndarray]:
    """Seconds of each default predict, and the front map of the last one."""
    seconds = []
    for _ in range(repeats):
        begin = time.perf_counter()
        maps = model.predict(cutout)
        seconds.append(time.perf_counter() - begin)
    return seconds, maps.front_z


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sample", default=str(ROOT / "samples" / "creature_photo.png"))
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    converter = load_converter("diffusion")
    picture = read_picture(args.sample)
    cutout = converter.cutout(picture, ConvertOptions(generator="diffusion"), detect_kind(picture))
    model = converter.model
    if model is None:
        raise SystemExit("the diffusion model did not load")
    timed_predicts(model, cutout, 2)  # warm-up
    eager, eager_front = timed_predicts(model, cutout, args.repeats)
    eager_unet = model.unet
    model.unet = cast(ShapeUNet, torch.compile(eager_unet))  # the compiled module stands in for it
    begin = time.perf_counter()
    timed_predicts(model, cutout, 1)
    compile_seconds = time.perf_counter() - begin
    compiled, compiled_front = timed_predicts(model, cutout, args.repeats)
    model.unet = eager_unet
    rows = {
        "eager_s": statistics.median(eager),
        "compiled_s": statistics.median(compiled),
        "compile_once_s": compile_seconds,
        "max_abs_map_difference": float(np.abs(eager_front - compiled_front).max()),
        "threads": torch.get_num_threads(),
    }
    rows["compiled_over_eager"] = rows["compiled_s"] / rows["eager_s"]
    for key, value in rows.items():
        print(f"{key:24} {value:.4g}")
    out = ROOT / "benchmarks" / "results" / "model_compile.json"
    out.write_text(json.dumps({key: round(value, 5) for key, value in rows.items()}, indent=2))


if __name__ == "__main__":
    main()
