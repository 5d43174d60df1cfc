"""Speed and memory of `convert` per pipeline stage, cold and warm, per generator.

Each generator runs in a fresh process so cold time (imports + model load + first
convert) and peak memory (max RSS) are its own. Prints a table and writes JSON to
benchmarks/results/convert_speed.json. Ratios against the inflate baseline measured
in the same run are the numbers to quote; absolute seconds vary by machine.

    python benchmarks/convert_speed.py [--sample samples/creature_photo.png] [--repeats 3] [--before REV]

With `--before REV` every generator also runs in that revision's code (extracted with
`git archive`), alternating with this tree's `--rounds` times, so both see the same load;
the ratio of their best warm times is the number to quote. On a shared machine wall
time swings with the load (recorded as the 1-minute load average), so the warm convert's
CPU time (all threads) is printed beside it, and a last row gives each stage's ratio
of this tree to the --before one. `--threads N` sets torch's threads in every child:
on a machine other jobs keep busy, 1 avoids the model's threads waiting on each other,
which makes the generate stage swing by seconds; its JSON is convert_speed_threadsN.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def measure(generator: str, sample: str, repeats: int, out_dir: str, threads: int = 0) -> dict:
    """Run in the child process: cold convert, then warm converts with stage timings."""
    started = time.perf_counter()
    if threads:
        import torch

        torch.set_num_threads(threads)
    from lift3d.api import ConvertOptions, StageTimer, load_converter, save

    options = ConvertOptions(generator=generator)
    converter = load_converter(generator)
    asset = converter.convert(sample, options)[0]
    save(asset, Path(out_dir) / f"{generator}.glb")
    cold = time.perf_counter() - started
    warm, warm_cpu, stages = [], [], {}
    for _ in range(repeats):
        timer = StageTimer()
        begin, begin_cpu = time.perf_counter(), time.process_time()
        asset = converter.convert(sample, options, timer)[0]
        with timer.stage("export"):
            save(asset, Path(out_dir) / f"{generator}.glb")
        warm.append(time.perf_counter() - begin)
        warm_cpu.append(time.process_time() - begin_cpu)
        for name, seconds in timer.seconds.items():
            stages.setdefault(name, []).append(seconds)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "generator": generator,
        "cold_s": round(cold, 3),
        "warm_s": round(min(warm), 3),
        "warm_cpu_s": round(min(warm_cpu), 3),
        "stages_s": {name: round(min(values), 3) for name, values in stages.items()},
        "peak_rss_mb": round(peak_mb, 1),
        "faces": len(asset.mesh.faces),
    }


def run_child(generator: str, args: argparse.Namespace, source: str | None) -> dict:
    """Time one generator in a fresh process, in this tree or in the extracted `source`."""
    command = [sys.executable, __file__, "--child", generator, "--sample", args.sample]
    command += ["--repeats", str(args.repeats), "--out-dir", args.out_dir, "--threads", str(args.threads)]
    environment = {**os.environ, "PYTHONPATH": source} if source else None
    result = subprocess.run(command, capture_output=True, text=True, check=True, env=environment)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sample", default=str(ROOT / "samples" / "creature_photo.png"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--generators", default="inflate,diffusion")
    parser.add_argument("--before", help="also time this git revision's code, interleaved")
    parser.add_argument("--rounds", type=int, default=1, help="alternations of this tree and --before")
    parser.add_argument(
        "--threads", type=int, default=0, help="torch threads in each child (0: torch's default)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out-dir", default="/tmp/lift3d-bench", help=argparse.SUPPRESS)
    args = parser.parse_args()
    Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    if args.child:
        print(json.dumps(measure(args.child, args.sample, args.repeats, args.out_dir, args.threads)))
        return

    from lift3d.generate.diffusion.weights import shipped_model_dir

    with tempfile.TemporaryDirectory() as folder:
        trees = {"": None}
        if args.before:
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.before, "src"], capture_output=True, check=True
            ).stdout
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(folder, filter="data")
            trees[f"@{args.before}"] = str(Path(folder) / "src")
        rows = []
        load_before = os.getloadavg()[0]
        for generator in args.generators.split(","):
            if generator == "diffusion" and shipped_model_dir() is None:
                print("skipping diffusion: no shipped weights", file=sys.stderr)
                continue
            best: dict[str, dict] = {}
            for _ in range(args.rounds):
                for tag, source in trees.items():
                    row = run_child(generator, args, source)
                    if tag not in best or row["warm_s"] < best[tag]["warm_s"]:
                        best[tag] = row
            for tag, row in best.items():
                rows.append({**row, "generator": generator + tag})
        load_after = os.getloadavg()[0]

    stage_names = sorted({name for row in rows for name in row["stages_s"]})
    header = ["generator", "cold s", "warm s", "warm cpu s", *stage_names, "peak MB", "faces"]
    print(" | ".join(f"{h:>10}" for h in header))
    base = rows[0]["warm_s"] if rows else 1.0
    ratios = []
    for row in rows:
        cells = [row["generator"], row["cold_s"], row["warm_s"], row.get("warm_cpu_s", "")]
        cells += [row["stages_s"].get(name, 0.0) for name in stage_names]
        cells += [row["peak_rss_mb"], row["faces"]]
        print(
            " | ".join(f"{c:>10}" for c in cells),
            f"(warm x{row['warm_s'] / base:.2f} of {rows[0]['generator']})",
        )
        before = next(
            (other for other in rows if other["generator"] == f"{row['generator']}@{args.before}"), None
        )
        if before is not None:
            ratio = {"generator": f"{row['generator']} / @{args.before}"}
            for key in ("warm_s", "warm_cpu_s"):
                ratio[key] = round(row[key] / before[key], 2)
            ratio["stages"] = {
                name: round(row["stages_s"][name] / before["stages_s"][name], 2)
                for name in stage_names
                if row["stages_s"].get(name) and before["stages_s"].get(name)
            }
            ratios.append(ratio)
    for ratio in ratios:
        cells = [ratio["generator"], "", f"x{ratio['warm_s']}", f"x{ratio['warm_cpu_s']}"]
        cells += [f"x{ratio['stages'][name]}" if name in ratio["stages"] else "" for name in stage_names]
        print(" | ".join(f"{c:>10}" for c in cells))
    print(f"load average (1 min, {os.cpu_count()} cores): {load_before:.1f} before, {load_after:.1f} after")
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {
        "sample": os.path.relpath(args.sample, ROOT),
        "repeats": args.repeats,
        "before": args.before,
        "rounds": args.rounds,
        "torch_threads": args.threads or "default",
        "cpu_count": os.cpu_count(),
        "load_average_1min": [round(load_before, 2), round(load_after, 2)],
        "rows": rows,
        "ratios_to_before": ratios,
    }
    name = f"convert_speed_threads{args.threads}.json" if args.threads else "convert_speed.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
