"""Frames drive the rig: per-frame silhouette IoU of one rigged character posed from a walk cycle.

The data engine draws a humanoid walking (`lift3d.data.characters.walk_cycle`: arms
swinging, legs stepping, body swaying, drawn front-on with one fixed camera), 12 frames
per cycle, seeds from HELDOUT_WALK_SEED (never used for tuning). Each cycle goes through
`convert_frames(..., rig=True)` with the inflate generator; every key of the one clip
is skinned and ray-cast from the front (`lift3d.evaluate.rig_frames`) and its silhouette
scored against the frame's own mask (target: IoU >= 0.85 on every frame).

Columns: `posed` is the result; `rest held` the rest mesh left standing still (the
baseline, same run); `ik` the pipeline's own IoU from the found joints before the
silhouette refinement (its rasteriser, recorded in the provenance). Times: the rigged
convert against the flipbook (every frame converted alone) on the same frames.

Prints a table and writes benchmarks/results/rig_frames.json (rig_frames_256px.json at
--size 256) and a small overlay sheet beside it (.jpg: grey both, red only the frame,
blue only the posed mesh).

    PYTHONPATH=src python benchmarks/rig_frames.py [--cycles 6] [--frames 12] [--size 128]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from PIL import Image

from lift3d.api import ConvertOptions
from lift3d.data.characters import walk_cycle
from lift3d.evaluate.rig_frames import frames_iou, posed_silhouettes
from lift3d.files import write_bytes_atomic
from lift3d.pipelines.frames import FramesOptions, convert_frames
from lift3d.types import Picture

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
HELDOUT_WALK_SEED = 40000


def pictures_of(frames) -> list[Picture]:  # type: ignore[no-untyped-def]
    return [
        Picture(
            rgb=frame.rgba[..., :3].astype(np.float32) / 255.0,
            alpha=frame.rgba[..., 3].astype(np.float32) / 255.0,
            source=f"walk_{index:02d}",
        )
        for index, frame in enumerate(frames)
    ]


def overlay_row(masks, silhouettes) -> np.ndarray:  # type: ignore[no-untyped-def]
    tiles = []
    for mask, silhouette in zip(masks, silhouettes, strict=True):
        tile = np.full((*mask.shape, 3), 255, dtype=np.uint8)
        tile[mask & silhouette] = (110, 110, 110)
        tile[mask & ~silhouette] = (220, 40, 40)
        tile[~mask & silhouette] = (40, 80, 220)
        tiles.append(tile)
    return np.concatenate(tiles, axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=6)
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--size", type=int, default=128, help="frame side in pixels")
    parser.add_argument("--no-flipbook", action="store_true", help="skip timing the flipbook")
    args = parser.parse_args()

    convert = ConvertOptions(generator="inflate", rig=True)
    rows, sheet = [], []
    print(f"{'cycle':>6} {'frame':>5} {'posed':>6} {'rest held':>9} {'ik':>6}")
    for cycle in range(args.cycles):
        seed = HELDOUT_WALK_SEED + cycle
        frames = walk_cycle(seed, args.frames, args.size)
        pictures = pictures_of(frames)
        start = time.perf_counter()
        result = convert_frames(pictures, FramesOptions(convert=convert))
        rigged_s = time.perf_counter() - start
        flipbook_s = None
        if not args.no_flipbook:
            start = time.perf_counter()
            convert_frames(pictures, FramesOptions(convert=ConvertOptions(generator="inflate")))
            flipbook_s = time.perf_counter() - start
        character = result.character
        assert character is not None and character.rig is not None
        record = result.provenance["rig"]
        masks = [frame.mask for frame in frames]
        vertices, faces = np.asarray(character.mesh.vertices), np.asarray(character.mesh.faces)
        posed, held = frames_iou(vertices, faces, character.rig, masks, record["rest_frame"])
        for index in range(args.frames):
            print(
                f"{seed:>6} {index:>5} {posed[index]:>6.3f} {held[index]:>9.3f} {record['ik_iou'][index]:>6.3f}"
            )
        print(
            f"{seed:>6}   min {min(posed):>6.3f} {min(held):>9.3f} {min(record['ik_iou']):>6.3f}"
            f"   rest frame {record['rest_frame']}, {len(record['frames_read'])}/{args.frames} read, "
            f"rigged {rigged_s:.1f} s" + (f", flipbook {flipbook_s:.1f} s" if flipbook_s else "")
        )
        rows.append(
            {
                "seed": seed,
                "posed_iou": [round(value, 4) for value in posed],
                "rest_held_iou": [round(value, 4) for value in held],
                "ik_iou": record["ik_iou"],
                "rest_frame": record["rest_frame"],
                "frames_read": record["frames_read"],
                "rigged_s": round(rigged_s, 2),
                "flipbook_s": None if flipbook_s is None else round(flipbook_s, 2),
            }
        )
        if cycle < 3:
            silhouettes = posed_silhouettes(
                vertices, faces, character.rig, character.rig.clips[0], masks[record["rest_frame"]],
                range(args.frames),
            )  # fmt: skip
            sheet.append(overlay_row(masks, silhouettes))

    every = np.array([value for row in rows for value in row["posed_iou"]])
    held = np.array([value for row in rows for value in row["rest_held_iou"]])
    ik = np.array([value for row in rows for value in row["ik_iou"]])
    rigged = np.mean([row["rigged_s"] for row in rows])
    flipbooks = [row["flipbook_s"] for row in rows if row["flipbook_s"] is not None]
    summary = {
        "cycles": args.cycles,
        "frames": args.frames,
        "size_px": args.size,
        "posed_iou_mean": round(float(every.mean()), 4),
        "posed_iou_min": round(float(every.min()), 4),
        "frames_at_or_above_0.85": f"{int((every >= 0.85).sum())}/{len(every)}",
        "rest_held_iou_mean": round(float(held.mean()), 4),
        "rest_held_iou_min": round(float(held.min()), 4),
        "ik_only_iou_mean": round(float(ik.mean()), 4),
        "ik_only_iou_min": round(float(ik.min()), 4),
        "rigged_convert_s": round(float(rigged), 2),
        "flipbook_convert_s": round(float(np.mean(flipbooks)), 2) if flipbooks else None,
    }
    print()
    print(f"{'':24} {'mean':>6} {'min':>6}")
    print(f"{'posed (result)':24} {summary['posed_iou_mean']:>6.3f} {summary['posed_iou_min']:>6.3f}")
    print(
        f"{'rest held (baseline)':24} {summary['rest_held_iou_mean']:>6.3f} {summary['rest_held_iou_min']:>6.3f}"
    )
    print(f"{'joints + IK only':24} {summary['ik_only_iou_mean']:>6.3f} {summary['ik_only_iou_min']:>6.3f}")
    print(f"frames with IoU >= 0.85: {summary['frames_at_or_above_0.85']}")
    if flipbooks:
        print(
            f"convert: rigged {rigged:.1f} s, flipbook {np.mean(flipbooks):.1f} s "
            f"({rigged / np.mean(flipbooks):.2f}x) per {args.frames}-frame cycle"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = "rig_frames" if args.size == 128 else f"rig_frames_{args.size}px"
    out = RESULTS / f"{stem}.json"
    write_bytes_atomic(out, json.dumps({"summary": summary, "cycles": rows}, indent=2).encode())
    picture = Image.fromarray(np.concatenate(sheet, axis=0))
    picture.thumbnail((1536, 1536))
    picture.save(RESULTS / f"{stem}.jpg", quality=85)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
