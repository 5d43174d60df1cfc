"""Batch throughput: assets per minute with 1 and 2 local workers on N generated pictures (inflate).

Each worker count runs in a fresh process on a fresh output folder, so start-up
(spawning workers, loading the converter) is counted as a user would see it. Prints a
table and writes benchmarks/results/batch_throughput.json. The ratio of 2 workers to
1 is the number to quote; it is only meaningful on an otherwise idle machine, so the
load average is recorded beside it, and CPU seconds per asset (which other load
barely changes) show the overhead that extra workers add.

    python benchmarks/batch_throughput.py [--pictures 16] [--workers 1,2] [--faces N] [--texture-size PX]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PICTURE_PX = 256


def write_pictures(folder: Path, count: int) -> None:
    """Coloured ellipses and boxes on white, each a little different."""
    rows, cols = np.mgrid[0:PICTURE_PX, 0:PICTURE_PX]
    centre = PICTURE_PX / 2
    for index in range(count):
        rng = np.random.default_rng(index)
        radius_x, radius_y = rng.uniform(0.15, 0.4, 2) * PICTURE_PX
        if index % 2:
            mask = ((cols - centre) / radius_x) ** 2 + ((rows - centre) / radius_y) ** 2 <= 1
        else:
            mask = (np.abs(cols - centre) <= radius_x) & (np.abs(rows - centre) <= radius_y)
        image = np.full((PICTURE_PX, PICTURE_PX, 3), 255, np.uint8)
        image[mask] = rng.integers(20, 200, 3)
        Image.fromarray(image).save(folder / f"picture{index:03d}.png")


def measure(input_dir: str, output_dir: str, workers: int, faces: int, texture_px: int) -> dict:
    """Run in the child process: one whole batch, timed from before the workers start."""
    started = time.perf_counter()
    from lift3d.api import ConvertOptions
    from lift3d.batch import BatchOptions, run_batch

    options = ConvertOptions(generator="inflate", max_faces=faces, texture_px=texture_px)
    summary = run_batch(BatchOptions(input_dir, output_dir, workers=workers), options)
    seconds = time.perf_counter() - started
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu_seconds = sum(part.ru_utime + part.ru_stime for part in usage)
    return {
        "workers": workers,
        "converted": summary.converted,
        "failed": summary.failed,
        "seconds": round(seconds, 2),
        "assets_per_min": round(summary.converted / seconds * 60, 1),
        # Independent of other load on the machine: the overhead extra workers add.
        "cpu_s_per_asset": round(cpu_seconds / max(summary.converted, 1), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pictures", type=int, default=16)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--faces", type=int, default=20000)
    parser.add_argument("--texture-size", type=int, default=1024)
    parser.add_argument("--child", nargs=3, metavar=("IN", "OUT", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        input_dir, output_dir, workers = args.child
        print(json.dumps(measure(input_dir, output_dir, int(workers), args.faces, args.texture_size)))
        return

    rows = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="lift3d-batch-bench-") as scratch:
        input_dir = Path(scratch) / "pictures"
        input_dir.mkdir()
        write_pictures(input_dir, args.pictures)
        for workers in (int(count) for count in args.workers.split(",")):
            output_dir = Path(scratch) / f"assets-{workers}"
            command = [sys.executable, __file__, "--child", str(input_dir), str(output_dir), str(workers)]
            command += ["--faces", str(args.faces), "--texture-size", str(args.texture_size)]
            result = subprocess.run(command, capture_output=True, text=True, check=True)
            rows.append(json.loads(result.stdout.strip().splitlines()[-1]))

    from lift3d.files import write_bytes_atomic

    base = rows[0]["assets_per_min"] or 1.0
    header = ["workers", "pictures", "seconds", "assets/min", "CPU s/asset", f"x of {rows[0]['workers']}"]
    print(" | ".join(f"{h:>10}" for h in header))
    for row in rows:
        row["speedup"] = round(row["assets_per_min"] / base, 2)
        cells = [row["workers"], row["converted"], row["seconds"], row["assets_per_min"]]
        cells += [row["cpu_s_per_asset"], row["speedup"]]
        print(" | ".join(f"{c:>10}" for c in cells))
    report = {
        "pictures": args.pictures,
        "picture_px": PICTURE_PX,
        "generator": "inflate",
        "faces": args.faces,
        "texture_px": args.texture_size,
        "cpu_count": os.cpu_count(),
        "load_average_before": [round(load, 2) for load in load_before],
        "load_average_after": [round(load, 2) for load in os.getloadavg()],
        "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(RESULTS / "batch_throughput.json", (json.dumps(report, indent=2) + "\n").encode())


if __name__ == "__main__":
    main()
