"""The learned cutout: a tiny U-Net trained on the project's own composites, refined to full resolution.

The network sees the picture squashed to INPUT_PX square and says, per pixel, how likely
it is the object; the low-resolution probability is brought back to the picture's
working size with a guided filter steered by the picture itself, so the mask's edge
follows the object's edge, not the network's coarse grid. Weights ship as safetensors
beside a JSON config under `weights/cutout/` and load once per process.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from scipy import ndimage

from lift3d.errors import ModelError
from lift3d.images import scaled_size
from lift3d.types import Picture

if TYPE_CHECKING:
    import torch

SHIPPED_CUTOUT = Path(__file__).resolve().parents[1] / "weights" / "cutout"
WEIGHTS_FILE = "cutout.safetensors"
CONFIG_FILE = "config.json"
INPUT_PX = 128
# The guided filter works at this longer side: fine enough for the mask's edge, cheap at 12 MP.
REFINE_SIDE_PX = 640
GUIDE_EPSILON = 1e-3
MIN_PART_SHARE = 0.05  # parts smaller than this share of the largest are specks


@dataclass(frozen=True)
class CutoutNetConfig:
    """The network's shape; saved as config.json beside its weights."""

    channels: tuple[int, ...] = (12, 16, 24, 32, 48)
    input_px: int = INPUT_PX


def build_network(config: CutoutNetConfig) -> torch.nn.Module:
    """A plain U-Net: two 3x3 conv + batch norm + ReLU per level, max-pool down, bilinear up."""
    import torch
    from torch import nn

    def block(inputs: int, outputs: int) -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(inputs, outputs, 3, padding=1, bias=False),
            nn.BatchNorm2d(outputs),
            nn.ReLU(inplace=True),
            nn.Conv2d(outputs, outputs, 3, padding=1, bias=False),
            nn.BatchNorm2d(outputs),
            nn.ReLU(inplace=True),
        )

    class CutoutNet(nn.Module):
        def __init__(self, channels: tuple[int, ...]) -> None:
            super().__init__()
            self.down = nn.ModuleList()
            previous = 3
            for width in channels:
                self.down.append(block(previous, width))
                previous = width
            self.up = nn.ModuleList(
                block(channels[level + 1] + channels[level], channels[level])
                for level in reversed(range(len(channels) - 1))
            )
            self.head = nn.Conv2d(channels[0], 1, 1)

        def forward(self, rgb: torch.Tensor) -> torch.Tensor:
            """Logits (B, 1, H, W) for pictures (B, 3, H, W) in [0, 1]; H, W divisible by 2**levels."""
            skips = []
            features = rgb - 0.5
            for level, stage in enumerate(self.down):
                if level:
                    features = torch.nn.functional.max_pool2d(features, 2)
                features = stage(features)
                skips.append(features)
            for stage, skip in zip(self.up, reversed(skips[:-1]), strict=True):
                features = torch.nn.functional.interpolate(
                    features, size=skip.shape[-2:], mode="bilinear", align_corners=False
                )
                features = stage(torch.cat([features, skip], dim=1))
            return self.head(features)

    return CutoutNet(tuple(config.channels))


def shipped_cutout_dir() -> Path | None:
    """The cutout model committed with the package, if its weights are present."""
    return SHIPPED_CUTOUT if (SHIPPED_CUTOUT / WEIGHTS_FILE).is_file() else None


def save_network(network: torch.nn.Module, config: CutoutNetConfig, folder: str | os.PathLike) -> None:
    """Weights (safetensors) and config (JSON), each written to a temp file and renamed."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {name: value.detach().contiguous() for name, value in network.state_dict().items()}
    save_file(tensors, folder / (WEIGHTS_FILE + ".tmp"))
    (folder / (CONFIG_FILE + ".tmp")).write_text(
        json.dumps({"channels": list(config.channels), "input_px": config.input_px}, indent=2)
    )
    (folder / (WEIGHTS_FILE + ".tmp")).replace(folder / WEIGHTS_FILE)
    (folder / (CONFIG_FILE + ".tmp")).replace(folder / CONFIG_FILE)


@functools.lru_cache(maxsize=2)
def _load(folder: str) -> tuple[torch.nn.Module, CutoutNetConfig]:
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(folder)
    try:
        settings = json.loads((path / CONFIG_FILE).read_text())
        config = CutoutNetConfig(channels=tuple(settings["channels"]), input_px=int(settings["input_px"]))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelError(f"{path / CONFIG_FILE}: not a cutout model config ({error})") from None
    network = build_network(config)
    try:
        tensors = load_file(path / WEIGHTS_FILE)
    except (OSError, SafetensorError) as error:
        raise ModelError(f"{path / WEIGHTS_FILE}: not a safetensors file ({error})") from None
    expected = network.state_dict()
    wrong = [
        name
        for name in expected.keys() | tensors.keys()
        if name not in tensors or name not in expected or tensors[name].shape != expected[name].shape
    ]
    if wrong:
        raise ModelError(f"{path / WEIGHTS_FILE}: weights do not fit the cutout network ({sorted(wrong)[0]})")
    network.load_state_dict(tensors)
    network.eval()
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.requires_grad_(False)
    return network, config


def load_cutout_model(folder: str | os.PathLike | None = None) -> tuple[torch.nn.Module, CutoutNetConfig]:
    """The network and its config from a folder, by default the shipped one; kept warm."""
    if folder is None:
        shipped = shipped_cutout_dir()
        if shipped is None:
            raise ModelError("the learned cutout's weights are not installed")
        folder = shipped
    return _load(str(Path(folder).resolve()))


def network_input(rgb: np.ndarray, size_px: int) -> np.ndarray:
    """The picture squashed to size_px square (area-averaged), as the network saw it in training."""
    return cv2.resize(rgb.astype(np.float32), (size_px, size_px), interpolation=cv2.INTER_AREA)


def object_probability(picture: Picture, folder: str | os.PathLike | None = None) -> np.ndarray:
    """The network's per-pixel object probability at its own input size (S, S)."""
    import torch

    network, config = load_cutout_model(folder)
    small = network_input(picture.rgb, config.input_px)
    with torch.inference_mode():
        logits = network(torch.from_numpy(small).permute(2, 0, 1)[None])
    return torch.sigmoid(logits)[0, 0].numpy()


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int, epsilon: float) -> np.ndarray:
    """He et al.'s guided filter (grey guide): `source` smoothed so its edges follow `guide`'s."""

    def mean(values: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(values, -1, (2 * radius + 1, 2 * radius + 1))

    mean_guide, mean_source = mean(guide), mean(source)
    variance = mean(guide * guide) - mean_guide * mean_guide
    covariance = mean(guide * source) - mean_guide * mean_source
    slope = covariance / (variance + epsilon)
    offset = mean_source - slope * mean_guide
    return mean(slope) * guide + mean(offset)


def refine_mask(rgb: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """The low-resolution probability as a mask at the picture's size, its edge snapped to the picture's."""
    height, width = rgb.shape[:2]
    size = scaled_size(height, width, min(1.0, REFINE_SIDE_PX / max(height, width)))
    guide = cv2.resize(rgb.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    guide = guide @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    coarse = cv2.resize(probability.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)
    radius = max(1, round(max(size) / probability.shape[0]))
    refined = guided_filter(guide, coarse, radius, GUIDE_EPSILON)
    full = cv2.resize(refined, (width, height), interpolation=cv2.INTER_LINEAR) >= 0.5
    labels, count = ndimage.label(full)
    if count > 1:
        areas = ndimage.sum(full, labels, index=np.arange(1, count + 1))
        full = np.isin(labels, np.flatnonzero(areas >= MIN_PART_SHARE * areas.max()) + 1)
    return full


@dataclass(frozen=True)
class LearnedMask:
    """The learned cutout's mask at the picture's resolution and how sure the network was."""

    mask: np.ndarray  # (H, W) bool
    confidence: float  # 1 - share of the object's pixels the network left undecided (0.2 < p < 0.8)


def learned_mask(picture: Picture, folder: str | os.PathLike | None = None) -> LearnedMask:
    """The object's mask by the learned cutout, with the network's confidence in it."""
    probability = object_probability(picture, folder)
    undecided = float(((probability > 0.2) & (probability < 0.8)).sum())
    area = max(float((probability >= 0.5).sum()), 1.0)
    confidence = max(0.0, 1.0 - undecided / area)
    return LearnedMask(mask=refine_mask(picture.rgb, probability), confidence=confidence)


# Per detected kind: the learned mask replaces the classical one when the two disagree
# (their IoU is below the first number) and the network is sure (confidence at least the
# second). Chosen on TUNE_SEED pictures with benchmarks/cutout_quality.py --seeds tune.
SWITCH_RULES = {"photo": (0.95, 0.85), "sketch": (0.7, 0.8)}
# On a photo the learned outline must also follow the picture's edges nearly as well as the
# classical one (edge support at most this much lower): on plain backdrops, where GrabCut's
# outline sits on the object's edge, a confident network could still round it off (tune
# seeds: 0.986 -> 0.843 and 0.994 -> 0.892 without this check; no good switch was stopped).
# Judged only where the two outlines overlap by at least EDGE_CHECK_AGREEMENT: below that they
# found different things (a drawing's paper sheet has strong edges too, and is not the backdrop's
# colour either) and neither edges nor colours can choose. The same holds for the colour check below.
MAX_EDGE_SUPPORT_LOSS = {"photo": 0.1}
EDGE_CHECK_AGREEMENT = 0.5
EDGE_SIDE_PX = 640  # edge support is judged at this size, whatever the picture's
# On a photo the learned mask must not drop the object: when what it would drop (in the
# classical mask, not in its own) is at least what it would add, and at most this share of the
# dropped pixels look like the backdrop (backdrop_like), the network is cutting the object down
# and the classical mask stays. Tune seeds (199 pictures a kind): plain backdrops' median
# 0.9932 -> 0.9936 (= classical), mean 0.981 -> 0.984; hard backdrops' median and mean
# 0.9756 -> 0.9758 and 0.948 -> 0.949 (3 swaps stopped, one of them a 0.002 loss).
MAX_DROPPED_BACKDROP_SHARE = {"photo": 0.1}
BORDER_SHARE = 0.03  # the backdrop's colour is read from this strip around the picture
SHADOW_DARKENING = 0.5  # a backdrop pixel up to this much darker with the same hue is a shadow
MIN_RESCUE_CONFIDENCE = 0.8  # the learned mask stands in when the classical finders found nothing
MIN_RESCUE_SHARE = 0.002


def mask_iou(first: np.ndarray, second: np.ndarray) -> float:
    return float((first & second).sum()) / max(int((first | second).sum()), 1)


def prefer_learned(kind: str, agreement: float, confidence: float) -> bool:
    """Whether the learned mask should replace the classical one (SWITCH_RULES)."""
    max_agreement, min_confidence = SWITCH_RULES.get(kind, (0.0, 2.0))
    return agreement < max_agreement and confidence >= min_confidence


def choose_mask(
    picture: Picture, classical: np.ndarray, kind: str, found: LearnedMask | None = None
) -> np.ndarray:
    """The classical mask, or the shipped learned one (`found`, else computed) where it measured better.

    Classical when the weights are not installed or the kind never switches.
    """
    if SWITCH_RULES.get(kind, (0.0, 2.0))[0] <= 0.0:
        return classical
    if found is None:
        if shipped_cutout_dir() is None:
            return classical
        found = learned_mask(picture)
    agreement = mask_iou(found.mask, classical)
    if not prefer_learned(kind, agreement, found.confidence):
        return classical
    slack = MAX_EDGE_SUPPORT_LOSS.get(kind)
    if (
        slack is not None
        and agreement >= EDGE_CHECK_AGREEMENT
        and edge_support(picture.rgb, found.mask) < edge_support(picture.rgb, classical) - slack
    ):
        return classical
    max_backdrop = MAX_DROPPED_BACKDROP_SHARE.get(kind)
    if (
        max_backdrop is not None
        and agreement >= EDGE_CHECK_AGREEMENT
        and drops_object(picture.rgb, classical, found.mask, max_backdrop)
    ):
        return classical
    return found.mask


def judging_size(height: int, width: int) -> tuple[int, int]:
    """(width, height) at which edges and colours are judged: at most EDGE_SIDE_PX on the longer side."""
    return scaled_size(height, width, min(1.0, EDGE_SIDE_PX / max(height, width)))


def drops_object(rgb: np.ndarray, classical: np.ndarray, learned: np.ndarray, max_backdrop: float) -> bool:
    """Whether `learned` mostly takes pixels away from `classical`, and those pixels are not backdrop."""
    size = judging_size(*classical.shape)
    small_rgb = cv2.resize(rgb.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    first, second = (
        cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
        for mask in (classical, learned)
    )
    dropped = first & ~second
    if not dropped.any() or dropped.sum() < (second & ~first).sum():
        return False
    looks_backdrop = backdrop_like(small_rgb, first | second)
    return looks_backdrop is not None and float(looks_backdrop[dropped].mean()) <= max_backdrop


def backdrop_like(rgb: np.ndarray, objects: np.ndarray) -> np.ndarray | None:
    """Pixels whose colour is the backdrop's, or a shadow on it; None when no border is left to read it.

    The backdrop's colour is the median (CIELAB) of the picture's border strip off `objects`;
    a pixel matches within three times the border's own 90th-percentile spread (at least 6), so
    on a gradient or textured backdrop nearly everything matches and the caller's test is mute.
    """
    height, width = objects.shape
    strip = max(2, round(BORDER_SHARE * min(height, width)))
    border = np.zeros_like(objects)
    border[:strip], border[-strip:], border[:, :strip], border[:, -strip:] = True, True, True, True
    border &= ~objects
    if border.sum() < 16:
        return None
    lab = cv2.cvtColor(np.clip(rgb, 0.0, 1.0).astype(np.float32), cv2.COLOR_RGB2LAB)
    reference = np.median(lab[border], axis=0)
    difference = lab - reference
    darker = difference[..., 0] < 0  # forgive darkening up to SHADOW_DARKENING of the backdrop
    difference[..., 0] = np.where(
        darker, np.minimum(0.0, difference[..., 0] + SHADOW_DARKENING * reference[0]), difference[..., 0]
    )
    distance = np.linalg.norm(difference, axis=-1)
    return distance < max(3.0 * float(np.percentile(distance[border], 90)), 6.0)


def edge_support(rgb: np.ndarray, mask: np.ndarray) -> float:
    """Share of the mask's outline that lies within two pixels of one of the picture's strong edges
    (the tenth of pixels with the steepest brightness gradient), judged at EDGE_SIDE_PX."""
    size = judging_size(*mask.shape)
    grey = cv2.resize(rgb.astype(np.float32), size, interpolation=cv2.INTER_AREA) @ np.array(
        [0.299, 0.587, 0.114], dtype=np.float32
    )
    steepness = np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    strong = steepness > np.percentile(steepness, 90)
    near_edge = cv2.dilate(strong.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    small = cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
    outline = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
    return float((outline & near_edge).sum()) / max(int(outline.sum()), 1)


def rescue_mask(picture: Picture) -> np.ndarray | None:
    """The learned mask when the classical finders gave up, if the network is sure of an object."""
    if shipped_cutout_dir() is None:
        return None
    found = learned_mask(picture)
    if found.confidence < MIN_RESCUE_CONFIDENCE or found.mask.mean() < MIN_RESCUE_SHARE:
        return None
    return found.mask
