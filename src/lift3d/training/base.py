"""Training the shape diffusion model from scratch on synthetic shards, on the CPU.

One readable loop: settings in `TrainOptions`, data held in memory at the model's
size, x0-prediction loss weighted toward the object, EMA weights, bf16 autocast,
safetensors checkpoints that resume exactly, and a held-out check as it goes.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from diffusers.training_utils import EMAModel
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from lift3d.errors import OptionError
from lift3d.generate.diffusion.model import (
    COVERAGE,
    PRIOR,
    build_unet,
    denoise,
    inflation_prior,
    make_condition,
)
from lift3d.generate.diffusion.pipeline import ShapeDiffusion, noise_schedule, sampling_scheduler


@dataclass(frozen=True)
class TrainOptions:
    """Settings of one training run; saved beside its checkpoints."""

    data: str  # folder of training shards
    out: str  # run folder: checkpoints, final model, log
    heldout: str = ""  # folder of held-out shards for the periodic check
    size_px: int = 64
    block_channels: tuple[int, ...] = (32, 64, 96, 128)
    batch_size: int = 16
    steps: int = 10000
    learning_rate: float = 1e-3
    warmup_steps: int = 200
    ema_decay: float = 0.999
    background_weight: float = 0.1  # loss weight off the object, where maps are just 0
    # Share of each batch drawn from the noisiest tenth of timesteps, where the model must
    # infer the maps from the picture alone: the regime of one-step and early DDIM steps.
    high_noise_share: float = 0.75
    # Share of pictures redrawn with flat fills, few tones, outlines and marks (drawn_look).
    drawn_share: float = 0.0
    # Share of solids made narrower and proportionally thinner (squeeze).
    squeeze_share: float = 0.0
    # Weight of the surface-slope term: L1 between the finite differences of the predicted
    # and true maps inside the object, in view units per view unit (slope_loss). 0: off.
    gradient_weight: float = 0.0
    # The same slope term on the mid-surface (the mean of the two maps), where the real set
    # loses most normal consistency: where the object sits in depth, not how thick it is.
    mid_gradient_weight: float = 0.0
    # Weight of the normals term: 1 - cosine between the predicted and true maps' surface normals
    # inside the object (normal_loss), the quantity normal consistency scores. 0: off.
    normal_weight: float = 0.0
    # Loss weight of object pixels within rim_px map pixels of the outline (1: no extra weight):
    # the side walls are built from the maps there.
    rim_weight: float = 1.0
    rim_px: int = 2
    checkpoint_every: int = 500
    snapshot_every: int = 0  # also keep OUT/snapshots/step-N (the EMA model) this often; 0: none
    eval_every: int = 1000
    seed: int = 0
    bf16: bool = True
    threads: int = 2
    limit_samples: int = 0  # use only the first N samples (0: all)
    # Start from this model folder's weights (fresh optimizer and EMA), e.g. to continue the
    # shipped model with a new data recipe when its training checkpoint is not at hand.
    init_from: str = ""

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1:
            raise OptionError("steps and batch size must be at least 1")
        if (
            min(
                self.gradient_weight,
                self.mid_gradient_weight,
                self.normal_weight,
                self.snapshot_every,
                self.rim_px,
            )
            < 0
        ):
            raise OptionError("gradient weights, rim width and snapshot interval must not be negative")
        if self.rim_weight <= 0:
            raise OptionError(f"rim weight must be positive, got {self.rim_weight}")
        if self.snapshot_every % self.checkpoint_every:
            raise OptionError(
                "snapshots are kept at checkpoints: snapshot_every must be a multiple of checkpoint_every"
            )
        if self.size_px % (2 ** (len(self.block_channels) - 1)):
            raise OptionError(f"size_px {self.size_px} must be divisible by 2^(levels-1)")


def shrink_sample_arrays(rgba: np.ndarray, front: np.ndarray, back: np.ndarray, size_px: int) -> tuple:
    """Rendered pictures and maps at the model's size: condition (N,4,s,s) and maps (N,2,s,s).

    The picture is composited on white exactly as the cutout stage does; maps are
    averaged over object pixels only, so the rim is not pulled toward 0.
    """
    count, full = rgba.shape[:2]
    factor = full // size_px
    if factor * size_px != full:
        raise OptionError(f"sample size {full} is not a multiple of the model size {size_px}")

    def blocks(values: np.ndarray) -> np.ndarray:
        return values.reshape(count, size_px, factor, size_px, factor, *values.shape[3:]).astype(np.float32)

    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    rgb = rgba[..., :3].astype(np.float32) / 255.0
    on_white = rgb * alpha + (1.0 - alpha)  # renders are not premultiplied
    coverage = blocks(alpha[..., 0]).mean(axis=(2, 4))
    picture = blocks(on_white).mean(axis=(2, 4))
    hard = blocks((rgba[..., 3] > 127).astype(np.float32))
    weight = hard.sum(axis=(2, 4))
    maps = [
        (blocks(values.astype(np.float32)) * hard).sum(axis=(2, 4)) / np.maximum(weight, 1.0)
        for values in (front, back)
    ]
    condition = np.stack([make_condition(picture[index], coverage[index]) for index in range(count)])
    return condition.astype(np.float16), np.stack(maps, axis=1).astype(np.float16)


def load_arrays(folders: str, size_px: int, limit: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Every shard of one folder, or of several comma-separated ones in turn (a mix of
    datasets made apart, e.g. `data/train2,data/rods`), at the model's size, in memory (float16)."""
    from lift3d.data.shards import list_shards, read_shard

    conditions, maps = [], []
    total = 0
    paths = [path for folder in folders.split(",") for path in list_shards(folder.strip())]
    for path in paths:
        shard = read_shard(path)
        condition, target = shrink_sample_arrays(shard.rgba, shard.front_z, shard.back_z, size_px)
        conditions.append(condition)
        maps.append(target)
        total += len(condition)
        if limit and total >= limit:
            break
    if not conditions:
        raise OptionError(f"no shards found in {folders}")
    condition_all = torch.from_numpy(np.concatenate(conditions))
    maps_all = torch.from_numpy(np.concatenate(maps))
    if limit:
        condition_all, maps_all = condition_all[:limit], maps_all[:limit]
    return condition_all, maps_all


def augment(condition: torch.Tensor, maps: torch.Tensor, generator: torch.Generator) -> tuple:
    """Mirror, recolour and add noise so the model learns shape, not the renderer's palette."""
    batch = condition.shape[0]
    flip = torch.rand(batch, generator=generator) < 0.5
    condition = torch.where(flip[:, None, None, None], condition.flip(-1), condition)
    maps = torch.where(flip[:, None, None, None], maps.flip(-1), maps)
    rgb, rest = condition[:, :COVERAGE], condition[:, COVERAGE:]
    inside = (condition[:, COVERAGE : COVERAGE + 1] + 1.0) / 2.0
    gain = 1.0 + 0.3 * (torch.rand(batch, 3, 1, 1, generator=generator) - 0.5)
    shift = 0.3 * (torch.rand(batch, 3, 1, 1, generator=generator) - 0.5)
    recoloured = (rgb * gain + shift).clamp(-1.0, 1.0)
    grey = torch.rand(batch, 1, 1, 1, generator=generator) < 0.2
    recoloured = torch.where(grey, recoloured.mean(dim=1, keepdim=True).expand_as(recoloured), recoloured)
    recoloured = recoloured + 0.03 * torch.randn(recoloured.shape, generator=generator)
    rgb = recoloured * inside + rgb * (1.0 - inside)
    return torch.cat([rgb, rest], dim=1), maps


def _ring(hard: torch.Tensor) -> torch.Tensor:
    """The outermost pixel ring of a (B,1,s,s) 0/1 mask: where a drawn outline sits."""
    eroded = 1.0 - torch.nn.functional.max_pool2d(1.0 - hard, 3, stride=1, padding=1)
    return hard - eroded


def _stroke(batch: int, size: int, generator: torch.Generator) -> torch.Tensor:
    """One short straight stroke per picture, (B,1,s,s) in {0,1}: a highlight, seam or decal line."""
    rows, cols = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")
    centre = torch.rand(batch, 2, 1, 1, generator=generator) * size * 0.6 + size * 0.2
    angle = torch.rand(batch, 1, 1, generator=generator) * math.pi
    half_length = (0.1 + 0.25 * torch.rand(batch, 1, 1, generator=generator)) * size
    across = (cols - centre[:, 0]) * torch.sin(angle) - (rows - centre[:, 1]) * torch.cos(angle)
    along = (cols - centre[:, 0]) * torch.cos(angle) + (rows - centre[:, 1]) * torch.sin(angle)
    return ((across.abs() < 0.75) & (along.abs() < half_length)).float()[:, None]


def drawn_look(condition: torch.Tensor, generator: torch.Generator, share: float) -> torch.Tensor:
    """Redraw a share of the pictures the way people draw, not the way the renderer shades.

    Hand-made pictures (docs/handmade/) have flat fills, a few posterised tones, dark
    outlines, highlight stripes and soft edges; the renders have none, and the model read
    such marks as relief. The maps stay the same, so the model learns that a flat fill
    means "no shading information", not "a flat shape". The condition is (B,6,s,s).
    """
    if share <= 0:
        return condition
    batch, size = condition.shape[0], condition.shape[-1]
    chosen = (torch.rand(batch, generator=generator) < share)[:, None, None, None]
    rgb = (condition[:, :COVERAGE] + 1.0) / 2.0
    inside = (condition[:, COVERAGE : COVERAGE + 1] + 1.0) / 2.0
    hard = (inside > 0.5).float()
    area = hard.sum(dim=(2, 3), keepdim=True).clamp(min=1.0)
    mean = (rgb * hard).sum(dim=(2, 3), keepdim=True) / area
    light = rgb.mean(dim=1, keepdim=True)
    low = torch.where(hard > 0, light, torch.ones_like(light)).amin(dim=(2, 3), keepdim=True)
    high = torch.where(hard > 0, light, torch.zeros_like(light)).amax(dim=(2, 3), keepdim=True)
    relative = ((light - low) / (high - low).clamp(min=1e-3)).clamp(0.0, 1.0)
    tones = torch.randint(2, 4, (batch, 1, 1, 1), generator=generator).float()
    posterised = torch.floor(relative * tones).clamp(max=tones - 1) / (tones - 1)
    mode = torch.randint(0, 3, (batch, 1, 1, 1), generator=generator)
    shade = torch.where(mode == 0, torch.ones_like(posterised), 0.75 + 0.45 * (posterised - 0.5))
    drawn = torch.where(mode == 2, rgb, (mean * shade).clamp(0.0, 1.0))
    blurred = torch.nn.functional.avg_pool2d(drawn, 3, stride=1, padding=1, count_include_pad=False)
    soft = torch.rand(batch, 1, 1, 1, generator=generator) < 0.3
    drawn = torch.where(soft, blurred, drawn)
    stripe = _stroke(batch, size, generator) * hard
    tint = torch.where(torch.rand(batch, 1, 1, 1, generator=generator) < 0.5, 1.0, 0.15)
    marked = torch.rand(batch, 1, 1, 1, generator=generator) < 0.4
    drawn = torch.where(marked & (stripe > 0), drawn * 0.4 + tint * 0.6, drawn)
    ink = torch.rand(batch, 1, 1, 1, generator=generator) * 0.25
    outlined = torch.rand(batch, 1, 1, 1, generator=generator) < 0.5
    drawn = torch.where(outlined & (_ring(hard) > 0), ink.expand_as(drawn), drawn)
    drawn = drawn * inside + (1.0 - inside)  # back on white, as the cutout stage composites
    rgb = torch.where(chosen, drawn, rgb)
    return torch.cat([rgb * 2.0 - 1.0, condition[:, COVERAGE:]], dim=1)


def squeeze(
    condition: torch.Tensor, maps: torch.Tensor, generator: torch.Generator, share: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Make a share of the solids narrower and proportionally thinner: x and z scaled alike.

    Narrow upright things (bottles, candles, poles) are what people draw side-on, yet only
    1.1 % of the training silhouettes are less than 0.35 of their height wide, and those are
    mostly flat things seen edge-on, so the model made a drawn bottle 1.4 times deeper than
    wide. Scaling a solid by s in x and z (s in [0.35, 0.9], y kept) is again a valid solid;
    its picture and coverage are resampled, its depths scaled by s and its inflation prior
    recomputed. The shading of the squeezed picture is only approximately right. Measured
    (model card, "How the squeeze share was chosen"): v4 uses 0.1, which makes the bottle
    round; 0.3 also thinned rounder solids.
    """
    if share <= 0:  # draw no random numbers, so runs without it are as before
        return condition, maps
    batch = condition.shape[0]
    chosen = torch.rand(batch, generator=generator) < share
    if not chosen.any():
        return condition, maps
    scale = torch.where(chosen, 0.35 + 0.55 * torch.rand(batch, generator=generator), torch.ones(batch))
    theta = torch.zeros(batch, 2, 3)
    theta[:, 0, 0], theta[:, 1, 1] = 1.0 / scale, 1.0
    grid = torch.nn.functional.affine_grid(theta, list(condition.shape), align_corners=False)

    def resample(values: torch.Tensor) -> torch.Tensor:  # the borders are background
        return torch.nn.functional.grid_sample(values, grid, padding_mode="border", align_corners=False)

    condition, maps = resample(condition), resample(maps) * scale[:, None, None, None]
    for index in torch.nonzero(chosen).flatten().tolist():
        condition[index, PRIOR] = torch.from_numpy(inflation_prior(condition[index, COVERAGE].numpy() > 0.0))
    return condition, maps


def slope_loss(predicted: torch.Tensor, maps: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
    """Mean absolute error of the maps' slopes, across and down, where both pixels are inside.

    The squared map error forgives a surface whose depths are about right but whose slopes
    are not: the real set's thin round parts came out as flat twisted ribbons and slopes were
    averaged out, which costs normal consistency, not F-score. Slopes are finite differences
    scaled to view units per view unit (the view spans 2 units), so a weight does not depend
    on the map size. Pairs that straddle the outline are left out: there the maps jump to 0.
    `inside` is a (B,1,s,s) 0/1 mask; the maps are (B,C,s,s).
    """
    per_unit = maps.shape[-1] / 2.0
    error = predicted.float() - maps.float()
    total = predicted.new_zeros((), dtype=torch.float32)
    for axis in (-1, -2):
        count = inside.shape[axis]
        both = inside.narrow(axis, 1, count - 1) * inside.narrow(axis, 0, count - 1)
        step = error.narrow(axis, 1, count - 1) - error.narrow(axis, 0, count - 1)
        pairs = (both.sum() * maps.shape[1]).clamp(min=1.0)
        total = total + (step.abs() * both).sum() / pairs
    return total * per_unit


def normal_loss(predicted: torch.Tensor, maps: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
    """Mean 1 - cosine between the predicted and true maps' surface normals where a pixel and its
    right and lower neighbours are inside. Unlike slope_loss it saturates on steep slopes and is
    exact about near-flat ones, as the angle between normals is. Shapes as slope_loss's."""
    per_unit = maps.shape[-1] / 2.0

    def normals(depth: torch.Tensor) -> torch.Tensor:
        across = (depth[..., :-1, 1:] - depth[..., :-1, :-1]) * per_unit
        down = (depth[..., 1:, :-1] - depth[..., :-1, :-1]) * per_unit
        vectors = torch.stack([-across, -down, torch.ones_like(across)], dim=-1)
        return vectors / vectors.norm(dim=-1, keepdim=True)

    block = inside[..., :-1, :-1] * inside[..., :-1, 1:] * inside[..., 1:, :-1]
    cosine = (normals(predicted.float()) * normals(maps.float())).sum(-1)
    count = (block.sum() * maps.shape[1]).clamp(min=1.0)
    return ((1.0 - cosine) * block).sum() / count


def rim_band(on_object: torch.Tensor, width_px: int) -> torch.Tensor:
    """Object pixels within `width_px` pixels (chessboard distance) of the background, as 0/1."""
    if width_px < 1:
        return torch.zeros_like(on_object)
    size = 2 * width_px + 1
    near_background = torch.nn.functional.max_pool2d(1.0 - on_object, size, stride=1, padding=width_px)
    return on_object * near_background


def diffusion_loss(
    unet,
    condition: torch.Tensor,
    maps: torch.Tensor,
    schedule,
    generator: torch.Generator,
    background_weight: float,
    high_noise_share: float,
    gradient_weight: float = 0.0,
    mid_gradient_weight: float = 0.0,
    rim: tuple[float, int] = (1.0, 0),
    normal_weight: float = 0.0,
) -> torch.Tensor:
    """x0-prediction loss at random noise levels, weighted toward the object (base and adapters).

    With gradient weights, plus those weights times slope_loss on the maps and on their
    mean (the mid-surface), and normal_weight times normal_loss; `rim` is (weight, width in
    pixels) of the band inside the outline.
    """
    batch = len(maps)
    total = schedule.config.num_train_timesteps
    uniform = torch.randint(0, total, (batch,), generator=generator)
    noisiest = torch.randint(total - total // 10, total, (batch,), generator=generator)
    high = torch.rand(batch, generator=generator) < high_noise_share
    timesteps = torch.where(high, noisiest, uniform)
    noise = torch.randn(maps.shape, generator=generator)
    scale = schedule.alphas_cumprod[timesteps].sqrt()[:, None, None, None]
    noisy = scale * maps + (1.0 - scale**2).sqrt() * noise
    on_object = (condition[:, COVERAGE : COVERAGE + 1] > -1.0).float()
    weight = background_weight + (1.0 - background_weight) * on_object
    rim_weight, rim_px = rim
    if rim_weight != 1.0:
        weight = weight + (rim_weight - 1.0) * rim_band(on_object, rim_px)
    predicted = denoise(unet, noisy, condition, timesteps)
    loss = ((predicted - maps) ** 2 * weight).mean()
    inside = (condition[:, COVERAGE : COVERAGE + 1] > 0).float()
    if gradient_weight > 0:
        loss = loss + gradient_weight * slope_loss(predicted, maps, inside)
    if mid_gradient_weight > 0:
        mid_predicted, mid_true = predicted.mean(1, keepdim=True), maps.mean(1, keepdim=True)
        loss = loss + mid_gradient_weight * slope_loss(mid_predicted, mid_true, inside)
    if normal_weight > 0:
        loss = loss + normal_weight * normal_loss(predicted, maps, inside)
    return loss


def masked_l1(predicted: torch.Tensor, maps: torch.Tensor, condition: torch.Tensor) -> float:
    """Mean absolute map error on the object, in view units."""
    inside = (condition[:, COVERAGE : COVERAGE + 1] > 0).float()
    return float(((predicted - maps).abs() * inside).sum() / (inside.sum() * maps.shape[1]).clamp(min=1.0))


def learning_rate(options, step: int) -> float:
    """Linear warm-up, then cosine decay to a tenth (base TrainOptions and AdapterConfig alike)."""
    if step < options.warmup_steps:
        return options.learning_rate * (step + 1) / options.warmup_steps
    progress = (step - options.warmup_steps) / max(1, options.steps - options.warmup_steps)
    return options.learning_rate * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0))))


def adam_state_tensors(optimizer) -> tuple[dict[str, torch.Tensor], dict[str, float]]:
    """AdamW moments as named tensors plus their step counts: a checkpoint with nothing pickled."""
    tensors: dict[str, torch.Tensor] = {}
    steps: dict[str, float] = {}
    for index, state in optimizer.state_dict()["state"].items():
        tensors[f"exp_avg.{index}"] = state["exp_avg"].contiguous()
        tensors[f"exp_avg_sq.{index}"] = state["exp_avg_sq"].contiguous()
        steps[str(index)] = float(state["step"])
    return tensors, steps


def restore_adam_state(optimizer, tensors: dict[str, torch.Tensor], steps: dict[str, float]) -> None:
    """Put back what adam_state_tensors saved."""
    optimizer_state = optimizer.state_dict()
    for index_text, step in steps.items():
        index = int(index_text)
        optimizer_state["state"][index] = {
            "step": torch.tensor(step),
            "exp_avg": tensors[f"exp_avg.{index}"],
            "exp_avg_sq": tensors[f"exp_avg_sq.{index}"],
        }
    optimizer.load_state_dict(optimizer_state)


def save_checkpoint(folder: Path, step: int, unet, ema: EMAModel, optimizer, generator) -> None:
    """Everything needed to resume exactly, as safetensors + JSON (nothing pickled)."""
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in unet.state_dict().items()}, folder / "unet.safetensors.tmp")
    ema_tensors = {f"ema.{i}": p.detach().contiguous() for i, p in enumerate(ema.shadow_params)}
    optimizer_tensors, steps = adam_state_tensors(optimizer)
    save_file(
        {**ema_tensors, **optimizer_tensors, "rng": generator.get_state()}, folder / "state.safetensors.tmp"
    )
    (folder / "unet.safetensors.tmp").replace(folder / "unet.safetensors")
    (folder / "state.safetensors.tmp").replace(folder / "state.safetensors")
    (folder / "progress.json").write_text(
        json.dumps({"step": step, "optimizer_steps": steps, "ema_step": ema.optimization_step})
    )


def load_checkpoint(folder: Path, unet, ema: EMAModel, optimizer, generator) -> int:
    """Restore a run saved by save_checkpoint; returns the step to continue from."""
    progress = json.loads((folder / "progress.json").read_text())
    unet.load_state_dict(load_file(folder / "unet.safetensors"))
    state = load_file(folder / "state.safetensors")
    for index, parameter in enumerate(ema.shadow_params):
        parameter.data.copy_(state[f"ema.{index}"])
    ema.optimization_step = progress["ema_step"]
    restore_adam_state(optimizer, state, progress["optimizer_steps"])
    generator.set_state(state["rng"])
    return int(progress["step"])


def evaluate_heldout(model: ShapeDiffusion, condition: torch.Tensor, maps: torch.Tensor) -> dict:
    """Map error of one-step and default sampling on held-out samples."""
    generator = torch.Generator().manual_seed(0)
    one = model.sample(condition.float(), steps=1, generator=generator)
    few = model.sample(condition.float(), steps=10, generator=torch.Generator().manual_seed(0))
    return {
        "l1_1step": masked_l1(one, maps.float(), condition),
        "l1_10step": masked_l1(few, maps.float(), condition),
    }


def train(options: TrainOptions, progress: bool = True) -> Path:
    """Train (or resume) a run; returns the folder of the final EMA model."""
    torch.set_num_threads(options.threads)
    torch.manual_seed(options.seed)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "options.json").write_text(json.dumps(asdict(options), indent=2))

    condition_all, maps_all = load_arrays(options.data, options.size_px, options.limit_samples)
    heldout = load_arrays(options.heldout, options.size_px, 128) if options.heldout else None

    unet = build_unet(options.size_px, options.block_channels)
    if options.init_from:
        start_from = ShapeDiffusion.from_pretrained(options.init_from).unet
        if tuple(start_from.config.block_out_channels) != tuple(unet.config.block_out_channels):
            raise OptionError(f"{options.init_from} has other block channels than --channels")
        unet.load_state_dict(start_from.state_dict())
    schedule = noise_schedule()
    optimizer = torch.optim.AdamW(unet.parameters(), lr=options.learning_rate, weight_decay=1e-4)
    ema = EMAModel(unet.parameters(), decay=options.ema_decay)
    generator = torch.Generator().manual_seed(options.seed)
    checkpoint = out / "checkpoint"
    start = (
        load_checkpoint(checkpoint, unet, ema, optimizer, generator)
        if (checkpoint / "progress.json").exists()
        else 0
    )

    log = (out / "log.jsonl").open("a")
    bar = tqdm(total=options.steps, initial=start, disable=not progress, unit="step", dynamic_ncols=True)
    started, seen = time.perf_counter(), 0
    unet.train()
    for step in range(start, options.steps):
        index = torch.randint(0, len(condition_all), (options.batch_size,), generator=generator)
        condition = drawn_look(condition_all[index].float(), generator, options.drawn_share)
        condition, maps = squeeze(condition, maps_all[index].float(), generator, options.squeeze_share)
        condition, maps = augment(condition, maps, generator)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(options, step)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=options.bf16):
            loss = diffusion_loss(
                unet,
                condition,
                maps,
                schedule,
                generator,
                options.background_weight,
                options.high_noise_share,
                options.gradient_weight,
                options.mid_gradient_weight,
                (options.rim_weight, options.rim_px),
                options.normal_weight,
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        optimizer.step()
        ema.step(unet.parameters())
        seen += options.batch_size
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.4f}", samples_s=f"{seen / (time.perf_counter() - started):.0f}")
        record: dict = {"step": step + 1, "loss": loss.item()}
        if heldout is not None and (step + 1) % options.eval_every == 0:
            record.update(evaluate_heldout(ema_model(unet, ema, schedule, {}), *heldout))
            unet.train()
            bar.write(json.dumps(record))
        log.write(json.dumps(record) + "\n")
        if (step + 1) % options.checkpoint_every == 0 or step + 1 == options.steps:
            save_checkpoint(checkpoint, step + 1, unet, ema, optimizer, generator)
            # The EMA model so far, so a run stopped early still leaves a usable model.
            snapshot = ema_model(unet, ema, schedule, run_record(options, len(condition_all), unet, step + 1))
            snapshot.save_pretrained(out / "model")
            if options.snapshot_every and (step + 1) % options.snapshot_every == 0:
                snapshot.save_pretrained(out / "snapshots" / f"step-{step + 1}")
            log.flush()
    bar.close()
    log.close()

    record = run_record(options, len(condition_all), unet, options.steps)
    record["wall_seconds_this_session"] = round(time.perf_counter() - started, 1)
    if heldout is not None:
        record["heldout_map_l1"] = evaluate_heldout(ema_model(unet, ema, schedule, record), *heldout)
    model = ema_model(unet, ema, schedule, record)
    model.save_pretrained(out / "model")
    return out / "model"


def run_record(options: TrainOptions, samples: int, unet, step: int) -> dict:
    """What the saved model card needs: recipe, size and how far training got."""
    return {
        "name": "shape-diffusion",
        "train_options": asdict(options),
        "train_samples": samples,
        "parameters": sum(p.numel() for p in unet.parameters()),
        "steps_done": step,
    }


def ema_model(unet, ema: EMAModel, schedule, record: dict) -> ShapeDiffusion:
    """A sampling model carrying a copy of the EMA weights (the training UNet is untouched)."""
    copy = build_unet(unet.config.sample_size, tuple(unet.config.block_out_channels))
    copy.load_state_dict(unet.state_dict())
    ema.copy_to(copy.parameters())
    return ShapeDiffusion(unet=copy.eval(), scheduler=sampling_scheduler(schedule), record=record)
