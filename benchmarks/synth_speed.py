"""Synthesis speed of the v1 family mix against the v2 mix (all families, deformations on).

Runs `synthesize` over the same seed range for each mix, one after the other in the
same process tree, so the ratio is what to quote (the machine is shared). Prints a
table and writes benchmarks/results/synth_speed.json.

    python benchmarks/synth_speed.py [--n 160] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from lift3d.data.synth import DEFAULT_DEFORM_SHARE, FAMILY_NAMES, SYNTH_FAMILY_NAMES, synthesize

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=160)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()
    mixes = {
        "v1 (8 families, no deformation)": (FAMILY_NAMES, 0.0),
        f"v2 ({len(SYNTH_FAMILY_NAMES)} families, {DEFAULT_DEFORM_SHARE:.0%} deformed)": (
            SYNTH_FAMILY_NAMES,
            DEFAULT_DEFORM_SHARE,
        ),
    }
    rows = []
    for name, (families, share) in mixes.items():
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            synthesize(
                folder,
                args.n,
                seed=0,
                size=args.size,
                shard_size=args.n,
                workers=args.workers,
                progress=False,
                families=families,
                deform_share=share,
            )
            seconds = time.perf_counter() - started
        rows.append(
            {
                "mix": name,
                "samples": args.n,
                "seconds": round(seconds, 2),
                "per_s": round(args.n / seconds, 2),
            }
        )
    base = rows[0]["per_s"]
    print("| mix | samples | seconds | samples/s | vs v1 |\n|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['mix']} | {row['samples']} | {row['seconds']} | {row['per_s']} | {row['per_s'] / base:.2f}x |"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"workers": args.workers, "size": args.size, "rows": rows}
    (RESULTS / "synth_speed.json").write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
