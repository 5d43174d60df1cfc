"""Training a LoRA adapter on the frozen base model: the base loop, with only LoRA weights learning.

Same x0-prediction loss, noise schedule and augmentation as base training; checkpoints
(safetensors + JSON) resume exactly. A few dozen meshes overfit quickly, so at every
checkpoint the held-out pairs are scored and the best adapter so far is kept (step 0, the
untrained adapter, is the base itself): the saved adapter is never worse than the base on
the user's held-out data. At the end the held-out meshes are scored with the adapter at
weight 0 (the base, exactly) and weight 1.
"""

from __future__ import annotations

import copy
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from lift3d.errors import OptionError
from lift3d.generate.adapters.config import AdapterConfig
from lift3d.generate.adapters.files import (
    adapter_state,
    attach_lora,
    base_identity,
    save_adapter,
    set_adapter_weights,
)
from lift3d.generate.diffusion.model import COVERAGE
from lift3d.generate.diffusion.pipeline import DEFAULT_STEPS, ShapeDiffusion, noise_schedule
from lift3d.training.adapter_data import TrainingPairs, truth_mesh
from lift3d.training.base import (
    adam_state_tensors,
    augment,
    diffusion_loss,
    learning_rate,
    masked_l1,
    restore_adam_state,
)

TRAINING_NAME = "learning"  # the adapter's name while it learns ("training" is taken by nn.Module)


@dataclass(frozen=True)
class AdapterResult:
    """Where the adapter was written and how it compares with the base on held-out data."""

    path: Path
    metrics: dict


def lora_parameters(model: ShapeDiffusion) -> list[torch.nn.Parameter]:
    """Freeze the base; return the LoRA weights, the only ones that learn."""
    trainable = []
    for name, parameter in model.unet.named_parameters():
        parameter.requires_grad_("lora_" in name)
        if "lora_" in name:
            trainable.append(parameter)
    return trainable


@dataclass
class BestSoFar:
    """The adapter with the lowest held-out map error seen so far, and when it was seen."""

    step: int
    map_l1: float
    lora: dict[str, torch.Tensor]


def save_checkpoint(
    folder: Path, step: int, model: ShapeDiffusion, optimizer, generator, config: dict, best: BestSoFar | None
) -> None:
    """LoRA weights, optimizer moments, the random state and the best adapter, as safetensors + JSON."""
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {f"lora.{k}": v for k, v in adapter_state(model, TRAINING_NAME).items()}
    if best is not None:
        tensors.update({f"best.{k}": v for k, v in best.lora.items()})
    optimizer_tensors, steps = adam_state_tensors(optimizer)
    tensors.update(optimizer_tensors)
    tensors["rng"] = generator.get_state()
    save_file(tensors, folder / "state.safetensors.tmp")
    (folder / "state.safetensors.tmp").replace(folder / "state.safetensors")
    progress: dict = {"step": step, "optimizer_steps": steps, "config": config}
    if best is not None:
        progress["best"] = {"step": best.step, "map_l1": best.map_l1}
    (folder / "progress.json.tmp").write_text(json.dumps(progress))
    (folder / "progress.json.tmp").replace(folder / "progress.json")


def load_checkpoint(
    folder: Path, model: ShapeDiffusion, optimizer, generator, config: dict
) -> tuple[int, BestSoFar | None]:
    """Resume a run (step and best adapter so far); refuses a checkpoint made with other settings."""
    progress = json.loads((folder / "progress.json").read_text())
    if progress["config"] != config:
        raise OptionError(
            f"the checkpoint in {folder} was made with other settings or data; use a new output folder"
        )
    state = load_file(folder / "state.safetensors")
    set_lora(model, {k.removeprefix("lora."): v for k, v in state.items() if k.startswith("lora.")})
    restore_adam_state(optimizer, state, progress["optimizer_steps"])
    generator.set_state(state["rng"])
    best = None
    if "best" in progress:
        lora = {k.removeprefix("best."): v for k, v in state.items() if k.startswith("best.")}
        best = BestSoFar(progress["best"]["step"], progress["best"]["map_l1"], lora)
    return int(progress["step"]), best


def set_lora(model: ShapeDiffusion, lora: dict[str, torch.Tensor]) -> None:
    """Put these LoRA tensors into the adapter being trained."""
    from peft.utils import set_peft_model_state_dict

    set_peft_model_state_dict(model.unet, lora, adapter_name=TRAINING_NAME)


def predict_heldout(model: ShapeDiffusion, heldout: TrainingPairs) -> tuple[torch.Tensor, float]:
    """One deterministic step on the held-out pairs: the maps and their error against the truth."""
    condition = heldout.condition.float()
    predicted = model.sample(condition, DEFAULT_STEPS, torch.Generator().manual_seed(0))
    return predicted, round(masked_l1(predicted, heldout.maps.float(), condition), 5)


def keep_if_better(model: ShapeDiffusion, step: int, error: float, best: BestSoFar | None) -> BestSoFar:
    """The adapter as it is now, if its held-out error beats every earlier checkpoint's."""
    if best is not None and error >= best.map_l1:
        return best
    return BestSoFar(step, error, adapter_state(model, TRAINING_NAME))


def training_loss(
    model: ShapeDiffusion, condition: torch.Tensor, maps: torch.Tensor, config: AdapterConfig, generator
) -> torch.Tensor:
    """The base model's loss: x0 prediction from a random noise level, weighted toward the object."""
    condition, maps = augment(condition.float(), maps.float(), generator)
    return diffusion_loss(
        model.unet,
        condition,
        maps,
        noise_schedule(),
        generator,
        config.background_weight,
        high_noise_share=config.high_noise_share,
    )


def compare_on_heldout(
    model: ShapeDiffusion, name: str, heldout: TrainingPairs, mesh_samples: int = 4
) -> dict:
    """Map L1 (all held-out pairs) and F-score@0.05 (a few, through reconstruction): base vs adapted."""
    from lift3d.evaluate import EvalOptions, score_mesh
    from lift3d.reconstruct import ReconstructOptions, maps_to_mesh
    from lift3d.types import ShapeMaps

    condition = heldout.condition.float()
    results: dict = {"heldout_pairs": len(heldout)}
    for label, weight in (("base", 0.0), ("adapted", 1.0)):
        set_adapter_weights(model, {name: weight})
        predicted, results[f"map_l1_{label}"] = predict_heldout(model, heldout)
        scores = []
        for index in range(min(mesh_samples, len(heldout))):
            mask = condition[index, COVERAGE].numpy() > 0.0
            if not mask.any():
                continue
            shape_maps = ShapeMaps(
                mask=mask, front_z=predicted[index, 0].numpy(), back_z=predicted[index, 1].numpy()
            )
            try:
                mesh = maps_to_mesh(shape_maps, ReconstructOptions(grid_px=64))
            except ValueError:
                scores.append(0.0)
                continue
            scores.append(
                score_mesh(mesh, truth_mesh(heldout.sources[index]), EvalOptions(points=2000)).fscore_005
            )
        if scores:
            results[f"fscore_005_{label}"] = round(float(np.mean(scores)), 4)
    set_adapter_weights(model, {name: 1.0})
    return results


def train_adapter(
    model: ShapeDiffusion | str | os.PathLike,
    pairs: TrainingPairs,
    config: AdapterConfig,
    out_dir: str | os.PathLike,
    progress: bool = True,
    mesh_samples: int = 4,
) -> AdapterResult:
    """Train (or resume) an adapter; writes OUT/NAME.safetensors, OUT/adapter.json and a log."""
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    if not isinstance(model, ShapeDiffusion):
        model = ShapeDiffusion.from_pretrained(model)
    # the caller's model (possibly shared and cached) is left untouched
    model = ShapeDiffusion(
        unet=copy.deepcopy(model.unet),
        scheduler=model.scheduler,
        record=model.record,
        weights_hash=base_identity(model),
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train_pairs, heldout = pairs.split(config.heldout_fraction, config.seed)
    resolved = {
        "config": asdict(config),
        "data": pairs.summary,
        "pairs": len(pairs),
        "base": base_identity(model),
    }
    resolved = json.loads(json.dumps(resolved, default=str))  # as it reads back from JSON
    (out / "options.json").write_text(json.dumps(resolved, indent=2))

    attach_lora(model, config, TRAINING_NAME)
    trainable = lora_parameters(model)
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=0.0)
    generator = torch.Generator().manual_seed(config.seed)
    checkpoint = out / "checkpoint"
    start, best = (
        load_checkpoint(checkpoint, model, optimizer, generator, resolved)
        if (checkpoint / "progress.json").exists()
        else (0, None)
    )
    if heldout is not None and best is None:
        best = keep_if_better(model, 0, predict_heldout(model, heldout)[1], None)  # untrained: the base
    model.unet.train()
    started = time.perf_counter()
    with (
        (out / "log.jsonl").open("a") as log,
        tqdm(total=config.steps, initial=start, disable=not progress, unit="step", dynamic_ncols=True) as bar,
    ):
        for step in range(start, config.steps):
            index = torch.randint(0, len(train_pairs), (config.batch_size,), generator=generator)
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(config, step)
            loss = training_loss(
                model, train_pairs.condition[index], train_pairs.maps[index], config, generator
            )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.4f}")
            log.write(json.dumps({"step": step + 1, "loss": round(loss.item(), 6)}) + "\n")
            if (step + 1) % config.checkpoint_every == 0 or step + 1 == config.steps:
                if heldout is not None:
                    error = predict_heldout(model, heldout)[1]
                    model.unet.train()  # sampling switched it to eval
                    best = keep_if_better(model, step + 1, error, best)
                    log.write(json.dumps({"step": step + 1, "heldout_map_l1": error}) + "\n")
                save_checkpoint(checkpoint, step + 1, model, optimizer, generator, resolved, best)
                log.flush()
    model.unet.eval()
    for parameter in model.unet.parameters():
        parameter.requires_grad_(False)
    metrics: dict = {
        "train_seconds_this_session": round(time.perf_counter() - started, 1),
        "steps": config.steps,
    }
    if best is not None:
        set_lora(model, best.lora)
        metrics["kept_step"] = best.step
    if heldout is not None:
        metrics.update(compare_on_heldout(model, TRAINING_NAME, heldout, mesh_samples))
    name = f"{config.style}-adapter" if not out.name else out.name
    path = save_adapter(
        model, out / f"{name}.safetensors", config, TRAINING_NAME, data=pairs.summary, metrics=metrics
    )
    (out / "adapter.json").write_text(
        json.dumps({**resolved, "metrics": metrics, "file": path.name}, indent=2)
    )
    return AdapterResult(path=path, metrics=metrics)
