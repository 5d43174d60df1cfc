"""Does reading the visible surface from shading, locally, lift the model on real shapes?

`benchmarks/real_ceiling.py` shows that a perfect visible surface (with the back following
it at the model's thickness) would give +0.111 F@0.05 on the real-shape set, and
`benchmarks/picture_cues.py` that the model hardly reads shading on shapes unlike its
training families. Shading says how a surface faces the light wherever it is, whatever
the shape, so a network that only sees a small window (33 px of a 128 px picture) cannot
learn shape families and must read shading. This experiment:

1. synthesizes `--n` training renders (v1 and rod families, a quarter deformed, seeds from
   SEED, apart from every other set) unless the folder holds them;
2. trains such a network (five dilated 3x3 convolutions, 24 channels, 13k weights) to
   predict the visible surface's normals, on 64 px crops, loss 1 - cosine;
3. converts the real-set RGBA pictures with the shipped model, then re-integrates its
   front map from the predicted normals (screened Poisson at 128 px: the normals' slopes
   where the surface faces the viewer, the model's front as a weak anchor) and puts the
   back at the model's thickness behind it; the same with the true normals is the
   ceiling of the integration.

    OMP_NUM_THREADS=2 PYTHONPATH=src python benchmarks/shading_normals.py [--data /tmp/shading-normals]
        [--steps 5000] [--views 1] [--json benchmarks/results/shading_normals.json]

Needs `pip install 'lift3d[real]'`; about 20 minutes on two cores (synthesis 4, training
10, the eval 5).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch
from scipy import ndimage, sparse
from scipy.sparse.linalg import spsolve
from torch import nn

from lift3d.data.shards import read_shard
from lift3d.data.synth import synthesize
from lift3d.evaluate.heldout import converter_method, rendered_picture
from lift3d.evaluate.options import EvalOptions
from lift3d.evaluate.real import picture_sample, real_views, view_plan
from lift3d.evaluate.report import format_table
from lift3d.evaluate.runner import evaluate
from lift3d.files import atomic_path
from lift3d.images import extend_beyond_mask
from lift3d.types import Cutout, Sample, ShapeMaps

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_ceiling import Replace, replaced_maps_method, true_maps  # noqa: E402  (a sibling benchmark script)

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
SEED = 300_000_000  # training renders; held-out seeds start at 1,000,000,000
FAMILIES = ("v1", "v3")
DEFORM_SHARE = 0.25  # as `lift3d data synth` makes them
PICTURE_PX = 128  # normals are read and integrated at the render size
CROP_PX = 64
BATCH = 16
LEARNING_RATE = 2e-3
DILATIONS = (1, 2, 4, 8, 1)  # receptive field 1 + 2 * sum = 33 px
WIDTH = 24
MIN_FACING = 0.3  # n_z below this (rims, steep walls): the slope is not trusted
ANCHOR = 1e-3  # weight of the model's front against the slopes, per pixel


def surface_normals(front_z: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit normals (3, H, W) of a front map in view units (x right, y up, z to the viewer).

    Also where they can be trusted: inside the mask with all eight neighbours, not steeper
    than n_z 0.15 (a jump between parts, not a surface).
    """
    pixel = 2.0 / front_z.shape[-1]
    depth = front_z.astype(np.float32)
    along_columns = np.zeros_like(depth)
    along_rows = np.zeros_like(depth)
    along_columns[..., 1:-1] = (depth[..., 2:] - depth[..., :-2]) / (2 * pixel)
    along_rows[..., 1:-1, :] = (depth[..., 2:, :] - depth[..., :-2, :]) / (2 * pixel)
    normals = np.stack([-along_columns, along_rows, np.ones_like(depth)], axis=-3)  # rows run down: y = -row
    normals /= np.linalg.norm(normals, axis=-3, keepdims=True)
    window = np.ones((1,) * (mask.ndim - 2) + (3, 3), dtype=bool)
    trusted = ndimage.binary_erosion(mask, window) & (normals[..., 2, :, :] > 0.15)
    return normals.astype(np.float32), trusted


class ShadingNormals(nn.Module):
    """Picture on white + mask (4, H, W) in [-1, 1] -> unit normals (3, H, W), facing the viewer."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 4
        for dilation in DILATIONS:
            layers += [nn.Conv2d(channels, WIDTH, 3, padding=dilation, dilation=dilation), nn.GELU()]
            channels = WIDTH
        layers.append(nn.Conv2d(WIDTH, 3, 1))
        self.body = nn.Sequential(*layers)

    def forward(self, pictures: torch.Tensor) -> torch.Tensor:
        raw = self.body(pictures)
        normals = torch.cat([raw[:, :2], nn.functional.softplus(raw[:, 2:]) + 1e-3], dim=1)
        return normals / normals.norm(dim=1, keepdim=True)


def network_input(rgb_on_white: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.concatenate([rgb_on_white.transpose(2, 0, 1) * 2 - 1, mask[None] * 2.0 - 1]).astype(np.float32)


def training_arrays(folder: Path) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inputs (N, 4, s, s) and target normals (N, 3, s, s) as float16, trusted pixels (N, s, s)."""
    inputs, normals, trusted = [], [], []
    for path in sorted(folder.glob("*.npz")):
        shard = read_shard(path)
        rgba = shard.rgba.astype(np.float32) / 255.0
        alpha = rgba[..., 3:]
        on_white = rgba[..., :3] * alpha + (1.0 - alpha)
        mask = shard.rgba[..., 3] > 127
        shard_normals, shard_trusted = surface_normals(shard.front_z, mask)
        pictures = np.concatenate([on_white.transpose(0, 3, 1, 2) * 2 - 1, mask[:, None] * 2.0 - 1], axis=1)
        inputs.append(pictures.astype(np.float16))
        normals.append(shard_normals.astype(np.float16))
        trusted.append(shard_trusted)
    return (
        torch.from_numpy(np.concatenate(inputs)),
        torch.from_numpy(np.concatenate(normals)),
        torch.from_numpy(np.concatenate(trusted)),
    )


def turned(
    pictures: torch.Tensor, normals: torch.Tensor, trusted: torch.Tensor, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A random mirror and quarter turn of a batch, its normals turned along (so no light side is learned)."""
    if torch.rand((), generator=generator) < 0.5:
        pictures, normals, trusted = pictures.flip(-1), normals.flip(-1), trusted.flip(-1)
        normals = torch.stack([-normals[:, 0], normals[:, 1], normals[:, 2]], dim=1)
    for _ in range(int(torch.randint(4, (), generator=generator))):  # (x, y) -> (-y, x)
        pictures, normals, trusted = (values.rot90(1, (-2, -1)) for values in (pictures, normals, trusted))
        normals = torch.stack([-normals[:, 1], normals[:, 0], normals[:, 2]], dim=1)
    return pictures, normals, trusted


def train(folder: Path, steps: int) -> tuple[ShadingNormals, list[dict]]:
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    pictures, normals, trusted = training_arrays(folder)
    network = ShadingNormals()
    optimizer = torch.optim.AdamW(network.parameters(), LEARNING_RATE, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, LEARNING_RATE, total_steps=steps, pct_start=0.05
    )
    history, running, start = [], None, time.perf_counter()
    for step in range(1, steps + 1):
        chosen = torch.randint(len(pictures), (BATCH,), generator=generator)
        top, left = torch.randint(0, PICTURE_PX - CROP_PX + 1, (2,), generator=generator).tolist()
        rows, columns = slice(top, top + CROP_PX), slice(left, left + CROP_PX)
        batch = turned(
            pictures[chosen][..., rows, columns].float(),
            normals[chosen][..., rows, columns].float(),
            trusted[chosen][..., rows, columns],
            generator,
        )
        cosines = (network(batch[0]) * batch[1]).sum(dim=1)
        loss = (1.0 - cosines)[batch[2]].mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 500 == 0 or step == steps:
            history.append({"step": step, "loss": running, "seconds": time.perf_counter() - start})
            print(f"step {step:5d}  1 - cos {running:.4f}  {time.perf_counter() - start:.0f} s", flush=True)
    return network.eval(), history


def integrate_front(
    slopes: tuple[np.ndarray, np.ndarray], weight: np.ndarray, anchor: np.ndarray, inside: np.ndarray
) -> np.ndarray:
    """The depth whose differences follow `slopes` (along columns, rows; depth per pixel) where
    `weight` trusts them, pulled toward `anchor` by ANCHOR: a screened Poisson least squares."""
    index = np.full(inside.shape, -1)
    index[inside] = np.arange(int(inside.sum()))
    blocks, targets = [], []
    for axis, slope in zip((1, 0), slopes, strict=True):
        pairs = inside & np.roll(inside, -1, axis)
        if axis == 1:
            pairs[:, -1] = False
        else:
            pairs[-1, :] = False
        rows, columns = np.nonzero(pairs)
        next_rows, next_columns = (rows, columns + 1) if axis == 1 else (rows + 1, columns)
        scale = np.sqrt(0.5 * (weight[rows, columns] + weight[next_rows, next_columns]))
        count = len(rows)
        difference = sparse.csr_matrix(
            (
                np.concatenate([scale, -scale]),
                (
                    np.tile(np.arange(count), 2),
                    np.concatenate([index[next_rows, next_columns], index[rows, columns]]),
                ),
            ),
            shape=(count, int(inside.sum())),
        )
        blocks.append(difference)
        targets.append(scale * 0.5 * (slope[rows, columns] + slope[next_rows, next_columns]))
    blocks.append(sparse.identity(int(inside.sum()), format="csr") * np.sqrt(ANCHOR))
    targets.append(np.sqrt(ANCHOR) * anchor[inside])
    system = sparse.vstack(blocks).tocsr()
    solution = spsolve((system.T @ system).tocsc(), system.T @ np.concatenate(targets))
    depth = anchor.copy()
    depth[inside] = solution
    return depth


def picture_mask(cutout: Cutout) -> np.ndarray:
    """The cutout's object mask at PICTURE_PX."""
    coverage = cv2.resize(
        cutout.mask.astype(np.float32), (PICTURE_PX, PICTURE_PX), interpolation=cv2.INTER_AREA
    )
    return coverage > 0.5


def refined_maps(model: ShapeMaps, inside: np.ndarray, normals: np.ndarray) -> ShapeMaps:
    """The model's front re-integrated from normals at PICTURE_PX (`inside`: the object's
    pixels there), its back at the model's thickness."""
    map_px = model.front_z.shape[0]
    factor = PICTURE_PX // map_px
    map_inside = inside.reshape(map_px, factor, map_px, factor).any(axis=(1, 3))
    anchor = cv2.resize(
        extend_beyond_mask(model.front_z.astype(np.float32), map_inside),
        (PICTURE_PX, PICTURE_PX),
        interpolation=cv2.INTER_LINEAR,
    )
    facing = np.maximum(normals[2], MIN_FACING)
    pixel = 2.0 / PICTURE_PX
    slopes = (-normals[0] / facing * pixel, normals[1] / facing * pixel)
    weight = (ndimage.binary_erosion(inside, np.ones((3, 3), bool)) & (normals[2] > MIN_FACING)).astype(
        np.float64
    )
    depth = integrate_front(slopes, weight, anchor, inside)
    cells = inside.reshape(map_px, factor, map_px, factor).astype(np.float32)
    counts = cells.sum(axis=(1, 3))
    averaged = (depth.reshape(map_px, factor, map_px, factor) * cells).sum(axis=(1, 3)) / np.maximum(
        counts, 1.0
    )
    front = np.where(counts > 0, averaged, model.front_z).astype(np.float32)
    thickness = np.maximum(model.front_z - model.back_z, 0.0)
    return ShapeMaps(mask=model.mask, front_z=front, back_z=front - thickness)


def read_normals(network: ShadingNormals) -> Callable[[Sample], Replace]:
    """Refinement by the normals the network reads from the cutout's picture."""

    def replace(model: ShapeMaps, cutout: Cutout) -> ShapeMaps:
        inside = picture_mask(cutout)
        picture = cv2.resize(
            cutout.rgb.astype(np.float32), (PICTURE_PX, PICTURE_PX), interpolation=cv2.INTER_AREA
        )
        with torch.no_grad():
            pictures = torch.from_numpy(network_input(picture, inside.astype(np.float32)))[None]
            normals = network(pictures)[0].numpy()
        return refined_maps(model, inside, normals)

    return lambda sample: replace


def true_normals(sample: Sample) -> Replace:
    """Refinement by the normals of the true front surface: the integration's ceiling."""

    def replace(model: ShapeMaps, cutout: Cutout) -> ShapeMaps:
        inside = picture_mask(cutout)
        normals, _ = surface_normals(true_maps(sample, cutout, PICTURE_PX).front_z, inside)
        return refined_maps(model, inside, normals)

    return replace


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default="/tmp/shading-normals", help="training renders (made if missing)")
    parser.add_argument("--n", type=int, default=6000, help="training renders")
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--views", type=int, default=1, help="fixed views per real object")
    parser.add_argument("--json", default=str(RESULTS / "shading_normals.json"))
    args = parser.parse_args()
    start = time.perf_counter()
    synthesize(
        args.data, args.n, SEED, workers=2, progress=False, families=FAMILIES, deform_share=DEFORM_SHARE
    )
    network, history = train(Path(args.data), args.steps)
    trained = time.perf_counter()
    samples = [picture_sample(rendered, "rgba") for _, rendered in real_views(view_plan(args.views))]
    methods = {
        "inflate": converter_method("inflate", rendered_picture),
        "model": converter_method("diffusion", rendered_picture),
        "model + read normals": replaced_maps_method(read_normals(network)),
        "model + true normals": replaced_maps_method(true_normals),
    }
    report = evaluate(samples, methods, EvalOptions(), progress=False)
    table = format_table(report)
    print(table)
    document = {
        "training": {
            "seed": SEED,
            "n": args.n,
            "families": FAMILIES,
            "deform_share": DEFORM_SHARE,
            "steps": args.steps,
            "history": history,
        },
        "views_per_object": args.views,
        "seconds": {"synthesis_and_training": trained - start, "eval": time.perf_counter() - trained},
        "report": report.to_dict(),
    }
    with atomic_path(args.json) as tmp:
        tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"-> {args.json}")


if __name__ == "__main__":
    main()
