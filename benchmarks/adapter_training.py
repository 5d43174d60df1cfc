"""Train an adapter from a folder of 50 meshes, the way a user would, and time it end to end.

The meshes are the project's own procedural shapes (seeds from 600,000,000, apart from
base training, held-out and adapter synthetic seeds), written as GLB files; the command
is `lift3d adapter train --meshes FOLDER` with the given style and settings, so the
seconds include rendering the training pairs and the held-out comparison. Prints a
table; writes benchmarks/results/adapter_training_STYLE.json.

    python benchmarks/adapter_training.py --style toon --out runs/adapters/toon [--steps 1500]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MESH_SEED_START = 600_000_000


def write_meshes(folder: Path, count: int) -> None:
    """`count` procedural shapes, one GLB each, balanced over the families."""
    from lift3d.data.shapes import FAMILIES, union_parts
    from lift3d.data.synth import family_for_seed

    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        seed = MESH_SEED_START + index
        path = folder / f"shape_{index:03d}.glb"
        if not path.exists():
            rng = np.random.default_rng([seed, 0])
            union_parts(FAMILIES[family_for_seed(seed)](rng)).mesh.export(path)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--style", default="toon")
    parser.add_argument("--out", required=True, help="adapter run folder (its name is the adapter's)")
    parser.add_argument("--meshes", type=int, default=50)
    parser.add_argument("--views", type=int, default=8)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--mesh-folder", default="runs/meshes50")
    args = parser.parse_args()
    folder = ROOT / args.mesh_folder
    write_meshes(folder, args.meshes)
    command = [
        sys.executable, "-m", "lift3d.cli", "adapter", "train", "--meshes", str(folder),
        "--style", args.style, "--out", args.out, "--views", str(args.views),
        "--steps", str(args.steps), "--threads", str(args.threads), "--quiet",
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    record = json.loads((Path(args.out) / "adapter.json").read_text())
    adapter = Path(args.out) / record["file"]
    result = {
        "style": args.style,
        "meshes": args.meshes,
        "views_per_mesh": args.views,
        "steps": args.steps,
        "threads": args.threads,
        "wall_seconds": round(seconds, 1),
        "adapter_bytes": adapter.stat().st_size,
        "command": " ".join(command[2:]),
        "metrics": record["metrics"],
    }
    print(f"{'style':<8} {'meshes':>6} {'steps':>6} {'minutes':>8} {'KB':>6}")
    print(
        f"{args.style:<8} {args.meshes:>6} {args.steps:>6} {seconds / 60:>8.1f} {result['adapter_bytes'] / 1024:>6.0f}"
    )
    print(json.dumps(record["metrics"]))
    out = ROOT / "benchmarks" / "results" / f"adapter_training_{args.style}.json"
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
