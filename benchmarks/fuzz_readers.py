"""Longer fuzzing of the readers: the hypothesis tests of pictures, adapter files, sheets and plans.

CI runs them briefly (LIFT3D_FUZZ_SCALE=1); this runs each with SCALE times as many cases,
prints how many cases ran and how long it took, and writes benchmarks/results/fuzz_readers.json.

    python benchmarks/fuzz_readers.py [--scale 20]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TESTS = {
    "pictures": "tests/inputs/test_read_hostile.py",
    "sheets and plans": "tests/inputs/test_fuzz_sheets_plans.py",
    "adapter files": "tests/adapters/test_adapter_hostile.py",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=20, help="cases per test, times the CI count")
    args = parser.parse_args()
    env = {**os.environ, "LIFT3D_FUZZ_SCALE": str(args.scale), "OMP_NUM_THREADS": "1"}
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    rows = []
    for reader, path in TESTS.items():
        started = time.perf_counter()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                path,
                "-q",
                "-p",
                "no:cacheprovider",
                "-k",
                "fuzz or sheets or grid or plans",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
        rows.append(
            {
                "reader": reader,
                "passed": result.returncode == 0,
                "seconds": round(seconds, 1),
                "pytest": summary,
            }
        )
        if result.returncode != 0:
            print(result.stdout[-4000:], file=sys.stderr)
    print(f"{'reader':<18} {'ok':<4} {'seconds':>8}  pytest (scale {args.scale})")
    for row in rows:
        print(
            f"{row['reader']:<18} {'yes' if row['passed'] else 'NO':<4} {row['seconds']:>8}  {row['pytest']}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fuzz_readers.json").write_text(
        json.dumps({"scale": args.scale, "readers": rows}, indent=2) + "\n"
    )
    return 0 if all(row["passed"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
