"""How much a style costs the base model, and so how much an adapter can win back.

`lift3d eval --style STYLE` and `lift3d eval` (renders) draw the same held-out shapes
(seeds from 1,000,000,000). Matching their rows by seed gives, for each style, the base
model's F@0.05 on the drawings next to its F@0.05 on clean renders of the very same
shapes: the render score is what the base reaches on its own training domain, so the
gap between the two is the room an adapter has, unless it also improves on the base's
own domain. Reads the JSON reports in benchmarks/results/, prints a table and writes
benchmarks/results/style_gap.json.

    python benchmarks/style_gap.py [--styles sketch,toon,photo]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def fscores(path: Path) -> dict[tuple[str, int], float]:
    """(method, seed) -> F@0.05 for every row of an eval report that did not fail."""
    report = json.loads(path.read_text())
    return {
        (row["method"], row["seed"]): row["scores"]["fscore_005"]
        for row in report["rows"]
        if row["error"] is None
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--styles", default="sketch,toon,photo")
    args = parser.parse_args()
    renders = fscores(RESULTS / "heldout_render.json")
    table = []
    print(f"{'style':8} {'method':18} {'shapes':>6} {'styled F@0.05':>14} {'base on renders':>16} {'gap':>7}")
    for style in args.styles.split(","):
        styled = fscores(RESULTS / f"heldout_{style}.json")
        for method in sorted({name for name, _ in styled}):
            seeds = [seed for name, seed in styled if name == method and ("diffusion", seed) in renders]
            if not seeds:
                continue
            on_style = float(np.mean([styled[(method, seed)] for seed in seeds]))
            on_render = float(np.mean([renders[("diffusion", seed)] for seed in seeds]))
            row = {
                "style": style,
                "method": method,
                "shapes": len(seeds),
                "styled_fscore_005": round(on_style, 4),
                "base_on_renders_fscore_005": round(on_render, 4),
                "gap": round(on_render - on_style, 4),
            }
            table.append(row)
            print(
                f"{style:8} {method:18} {len(seeds):>6} {on_style:>14.3f} {on_render:>16.3f} {on_render - on_style:>7.3f}"
            )
    (RESULTS / "style_gap.json").write_text(json.dumps(table, indent=2))


if __name__ == "__main__":
    main()
