"""Quality on the real-shape set: every generator on third-party meshes, per picture kind and family.

Runs `lift3d eval --real` once per picture kind (rgba: the render with its alpha;
backdrop: the same render on a plain backdrop, no alpha; sketch: pencil lines on
paper), writes benchmarks/results/real_KIND.json (or real_KIND_LABEL.json with
--label, to keep one file per model checkpoint) and prints each table, then one line
per kind with diffusion's gain over inflation.

    OMP_NUM_THREADS=1 python benchmarks/real_quality.py [--pictures rgba,backdrop,sketch]
        [--methods slab,inflate,diffusion] [--model DIR --label v5-step4000] [--n N] [--views 1] [--workers 2]

Needs `pip install 'lift3d[real]'`. Two generators over the whole set at one view
take about 4-5 minutes on one quiet core (the eval's s/sample column).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lift3d.evaluate.real import run_real_eval

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pictures", default="rgba", help="comma-separated: rgba, backdrop, sketch, toon, ..."
    )
    parser.add_argument("--methods", default="slab,inflate,diffusion")
    parser.add_argument("--model", default=None, help="diffusion model folder [default: shipped]")
    parser.add_argument("--label", default="", help="suffix of the JSON files, e.g. the checkpoint's name")
    parser.add_argument("--n", type=int, default=None, help="first N views only (families take turns)")
    parser.add_argument("--views", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="processes sharing each run")
    args = parser.parse_args()
    gains = []
    for kind in args.pictures.split(","):
        suffix = f"_{args.label}" if args.label else ""
        path = RESULTS / f"real_{kind}{suffix}.json"
        start = time.perf_counter()
        table, report = run_real_eval(
            count=args.n,
            methods=args.methods,
            backdrop=kind == "backdrop",
            style="" if kind in ("rgba", "backdrop") else kind,
            views=args.views,
            json_path=str(path),
            progress=False,
            model_dir=args.model,
            workers=args.workers,
        )
        print(f"== {kind} ({time.perf_counter() - start:.0f} s) -> {path.name}\n{table}")
        if {"inflate", "diffusion"} <= set(report.overall):
            inflate, diffusion = report.overall["inflate"], report.overall["diffusion"]
            gains.append(
                f"{kind:9} diffusion - inflate: F@0.05 {diffusion.fscore_005 - inflate.fscore_005:+.3f}  "
                f"normals {diffusion.normal_consistency - inflate.normal_consistency:+.3f}  "
                f"Chamfer {diffusion.chamfer_l1 - inflate.chamfer_l1:+.4f}"
            )
    if gains:
        print("\n".join(gains))


if __name__ == "__main__":
    main()
