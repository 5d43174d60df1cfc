"""Training the learned cutout on the project's own composites, on one CPU core, within a time budget.

Two steps, so drawing pictures and learning can run side by side:

    python -m lift3d.training.cutout data --out runs/cutout-data --count 6000
    python -m lift3d.training.cutout train --data runs/cutout-data --out runs/cutout --minutes 80

`data` draws `data.composites` pictures, squashes each to the network's input size and
writes shards of SHARD_SIZE; `train` re-reads the folder as shards appear, trains with
flips, colour jitter and BCE + Dice for the given wall-clock minutes (cosine learning
rate over the budget), and every `checkpoint_minutes` writes the weights (safetensors +
config) and logs IoU on held-out measurement pictures from `TUNE_SEED` (never trained
on) to log.jsonl. The final weights go to OUT/cutout.safetensors.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from lift3d.data.composites import COMPOSITE_SEED, training_composite
from lift3d.data.paper import TUNE_SEED, measurement_case
from lift3d.inputs.learned import CutoutNetConfig, build_network, network_input, save_network

SHARD_SIZE = 50
HELDOUT_KINDS = ("photo", "paper", "line")


@dataclass(frozen=True)
class CutoutTrainOptions:
    """Settings of one training run; saved beside its weights."""

    data: str  # folder of composite shards (the `data` command)
    out: str  # run folder: weights, config, log
    minutes: float = 80.0  # wall-clock budget
    batch_size: int = 16
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    input_px: int = 128  # the network's input side; shards are squashed to it when read
    channels: tuple[int, ...] = (12, 16, 24, 32, 48)
    checkpoint_minutes: float = 5.0
    heldout_per_kind: int = 12
    seed: int = 0
    threads: int = 1


def draw_shards(
    out: str,
    count: int,
    first: int = COMPOSITE_SEED,
    size_px: int = 160,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Draw `count` composites from seed `first` on, SHARD_SIZE to a file; existing shards are kept."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(first, first + count, SHARD_SIZE):
        path = folder / f"composites-{start}.npz"
        if path.exists():
            continue
        pictures, masks, kinds = [], [], []
        for seed in range(start, min(start + SHARD_SIZE, first + count)):
            case = training_composite(seed)
            pictures.append(np.round(network_input(case.rgb, size_px) * 255).astype(np.uint8))
            masks.append(np.round(network_input(case.truth[..., None].repeat(3, 2), size_px)[..., 0] * 255))
            kinds.append(case.kind)
        temporary = folder / f"composites-{start}.tmp.npz"
        np.savez(temporary, rgb=np.stack(pictures), truth=np.stack(masks).astype(np.uint8), kind=kinds)
        temporary.replace(path)
        if progress:
            progress(f"{path.name}: {len(pictures)} pictures")


def load_shards(folder: str, size_px: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every finished shard in `folder` at size_px: pictures (N, 3, S, S), soft masks (N, 1, S, S), in [0, 1]."""
    pictures, masks = [], []

    def resize(image: np.ndarray) -> np.ndarray:
        return cv2.resize(image, (size_px, size_px), interpolation=cv2.INTER_AREA)

    for path in sorted(Path(folder).glob("composites-*[0-9].npz")):
        with np.load(path) as shard:
            pictures.append(np.stack([resize(each) for each in shard["rgb"]]))
            masks.append(np.stack([resize(each) for each in shard["truth"]]))
    if not pictures:
        return torch.empty(0, 3, 1, 1), torch.empty(0, 1, 1, 1)
    rgb = torch.from_numpy(np.concatenate(pictures)).permute(0, 3, 1, 2).float() / 255
    truth = torch.from_numpy(np.concatenate(masks))[:, None].float() / 255
    return rgb, truth


def augment(rgb: torch.Tensor, truth: torch.Tensor, generator: torch.Generator) -> tuple:
    """Flips, quarter turns, channel order, brightness and gamma: what a backdrop's colour must not decide."""
    batch = rgb.shape[0]
    draws = torch.rand(batch, 6, generator=generator)
    pictures, masks = [], []
    for index in range(batch):
        picture, mask = rgb[index], truth[index]
        if draws[index, 0] < 0.5:
            picture, mask = picture.flip(-1), mask.flip(-1)
        if draws[index, 1] < 0.2:
            picture, mask = picture.flip(-2), mask.flip(-2)
        if draws[index, 2] < 0.2:
            picture, mask = picture.transpose(-1, -2), mask.transpose(-1, -2)
        if draws[index, 3] < 0.4:
            picture = picture[torch.randperm(3, generator=generator)]
        gamma = float(torch.exp((draws[index, 4] - 0.5) * 0.6))
        picture = (picture.clamp(0, 1) ** gamma * (0.8 + 0.4 * draws[index, 5])).clamp(0, 1)
        pictures.append(picture)
        masks.append(mask)
    return torch.stack(pictures), torch.stack(masks)


def cutout_loss(logits: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy on the soft mask plus a soft Dice term, so small objects count."""
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, truth)
    probability = torch.sigmoid(logits)
    overlap = (probability * truth).sum(dim=(1, 2, 3))
    dice = 1 - (2 * overlap + 1) / (probability.sum(dim=(1, 2, 3)) + truth.sum(dim=(1, 2, 3)) + 1)
    return bce + dice.mean()


def heldout_set(per_kind: int, size_px: int) -> list[tuple[str, torch.Tensor, np.ndarray]]:
    """Measurement pictures from TUNE_SEED (held out of training) at the network's input size."""
    cases = []
    for kind in HELDOUT_KINDS:
        for seed in range(TUNE_SEED, TUNE_SEED + per_kind):
            case = measurement_case(kind, seed)
            small = torch.from_numpy(network_input(case.rgb, size_px)).permute(2, 0, 1)
            truth = network_input(case.truth[..., None].repeat(3, 2).astype(np.float32), size_px)[..., 0]
            cases.append((kind, small, truth >= 0.5))
    return cases


def heldout_iou(network: torch.nn.Module, cases: list) -> dict[str, float]:
    """Median IoU per kind at the network's input size (before refinement)."""
    network.eval()
    scores: dict[str, list[float]] = {}
    with torch.inference_mode():
        for kind, small, truth in cases:
            found = (network(small[None])[0, 0] >= 0).numpy()
            union = max(int((found | truth).sum()), 1)
            scores.setdefault(kind, []).append(float((found & truth).sum()) / union)
    network.train()
    return {kind: round(float(np.median(values)), 4) for kind, values in scores.items()} | {
        f"{kind}_worst": round(float(np.min(values)), 4) for kind, values in scores.items()
    }


def train(options: CutoutTrainOptions, progress: Callable[[str], None] | None = None) -> Path:
    """Train for options.minutes of wall-clock time; returns the run folder holding the weights."""
    torch.set_num_threads(options.threads)
    torch.manual_seed(options.seed)
    generator = torch.Generator().manual_seed(options.seed)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "options.json").write_text(json.dumps(asdict(options), indent=2))
    config = CutoutNetConfig(channels=options.channels, input_px=options.input_px)
    network = build_network(config)
    network.train()
    optimizer = torch.optim.AdamW(
        network.parameters(), lr=options.learning_rate, weight_decay=options.weight_decay
    )
    heldout = heldout_set(options.heldout_per_kind, config.input_px)
    rgb, truth = load_shards(options.data, config.input_px)
    start = time.monotonic()
    budget = options.minutes * 60
    last_checkpoint, last_reload, step, seen = start, start, 0, 0
    log = (out / "log.jsonl").open("a")
    while True:
        elapsed = time.monotonic() - start
        if time.monotonic() - last_reload > 120 or len(rgb) < options.batch_size:
            rgb, truth = load_shards(options.data, config.input_px)
            last_reload = time.monotonic()
            if len(rgb) < options.batch_size:
                time.sleep(10)
                continue
        done = elapsed >= budget
        if done or time.monotonic() - last_checkpoint >= options.checkpoint_minutes * 60:
            save_network(network, config, out)
            record = {"step": step, "seen": seen, "pictures": len(rgb), "minutes": round(elapsed / 60, 2)}
            record |= heldout_iou(network, heldout)
            log.write(json.dumps(record) + "\n")
            log.flush()
            if progress:
                progress(json.dumps(record))
            last_checkpoint = time.monotonic()
            if done:
                break
        fraction = min(elapsed / budget, 1.0)
        warmup = min(1.0, (step + 1) / 100)
        for group in optimizer.param_groups:
            group["lr"] = options.learning_rate * warmup * 0.5 * (1 + math.cos(math.pi * fraction))
        index = torch.randint(len(rgb), (options.batch_size,), generator=generator)
        pictures, masks = augment(rgb[index].clone(), truth[index].clone(), generator)
        loss = cutout_loss(network(pictures), masks)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        seen += options.batch_size
    log.close()
    return out


def _say(line: str) -> None:
    print(line, flush=True)  # noqa: T201 - the command's progress


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    data = commands.add_parser("data", help="draw training composites into shards")
    data.add_argument("--out", required=True)
    data.add_argument("--count", type=int, default=6000)
    data.add_argument("--first", type=int, default=COMPOSITE_SEED)
    run = commands.add_parser("train", help="train the cutout network on the shards")
    run.add_argument("--data", required=True)
    run.add_argument("--out", required=True)
    run.add_argument("--minutes", type=float, default=CutoutTrainOptions.minutes)
    run.add_argument("--batch-size", type=int, default=CutoutTrainOptions.batch_size)
    run.add_argument("--lr", type=float, default=CutoutTrainOptions.learning_rate)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    if args.command == "data":
        draw_shards(args.out, args.count, args.first, progress=_say)
    else:
        options = CutoutTrainOptions(
            data=args.data,
            out=args.out,
            minutes=args.minutes,
            batch_size=args.batch_size,
            learning_rate=args.lr,
        )
        _say(str(train(options, progress=_say)))


if __name__ == "__main__":
    main()
