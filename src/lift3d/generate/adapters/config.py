"""Settings of a LoRA adapter and its training run, validated when made (peft style)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lift3d.data.styles import STYLES
from lift3d.errors import OptionError

# conv1/conv2 of every resnet block and the mid-block attention projections: where the
# model reads the picture's appearance. conv_in/conv_out and the time embedding stay
# frozen so an adapter cannot change what the map channels mean.
DEFAULT_TARGETS = ("conv1", "conv2", "to_q", "to_k", "to_v", "to_out.0")


@dataclass(frozen=True)
class AdapterConfig:
    """What an adapter is (rank, alpha, targets) and how it is trained; saved beside the run."""

    rank: int = field(default=2, metadata={"help": "LoRA rank r: size of the low-rank update per layer"})
    alpha: float = field(default=2.0, metadata={"help": "LoRA alpha; the update is scaled by alpha / rank"})
    target_modules: tuple[str, ...] = field(
        default=DEFAULT_TARGETS,
        metadata={
            "help": "module name suffixes that get a LoRA update (resnet convs, attention projections)"
        },
    )
    dropout: float = field(default=0.0, metadata={"help": "dropout on the LoRA input while training"})
    steps: int = field(default=500, metadata={"help": "optimisation steps"})
    learning_rate: float = field(
        default=2e-3, metadata={"help": "peak AdamW learning rate of the LoRA weights"}
    )
    warmup_steps: int = field(default=20, metadata={"help": "linear warm-up steps before cosine decay"})
    batch_size: int = field(default=8, metadata={"help": "samples per step"})
    seed: int = field(default=0, metadata={"help": "seeds data split, LoRA initialisation and noise"})
    style: str = field(
        default="photo", metadata={"help": f"picture style the adapter is for: {', '.join(STYLES)}"}
    )
    background_weight: float = field(
        default=0.1, metadata={"help": "loss weight off the object, as in base training"}
    )
    high_noise_share: float = field(
        default=0.75,
        metadata={"help": "share of each batch at the noisiest timesteps, where one-step sampling works"},
    )
    heldout_fraction: float = field(
        default=0.1,
        metadata={"help": "share of meshes kept out of training and used for the final comparison"},
    )
    checkpoint_every: int = field(default=100, metadata={"help": "steps between resumable checkpoints"})
    threads: int = field(default=1, metadata={"help": "torch threads; 1 leaves a core for everything else"})

    def __post_init__(self) -> None:
        if isinstance(self.rank, bool) or not isinstance(self.rank, int) or not 1 <= self.rank <= 64:
            raise OptionError(f"rank must be a whole number from 1 to 64, got {self.rank!r}")
        if not 0 < float(self.alpha) <= 1024:
            raise OptionError(f"alpha must be in (0, 1024], got {self.alpha!r}")
        targets = tuple(str(name) for name in self.target_modules)
        if not targets or any(not name or name.startswith(".") for name in targets):
            raise OptionError(f"target_modules must be non-empty module names, got {self.target_modules!r}")
        object.__setattr__(self, "target_modules", targets)  # a JSON list becomes a tuple
        if not 0.0 <= self.dropout < 1.0:
            raise OptionError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if self.steps < 1 or self.batch_size < 1 or self.checkpoint_every < 1:
            raise OptionError("steps, batch size and checkpoint interval must be at least 1")
        if not 0 < self.learning_rate < 1:
            raise OptionError(f"learning rate must be in (0, 1), got {self.learning_rate!r}")
        if self.warmup_steps < 0:
            raise OptionError(f"warmup steps must not be negative, got {self.warmup_steps}")
        if self.style not in STYLES:
            raise OptionError(f"unknown style {self.style!r}; choose one of {', '.join(STYLES)}")
        if not 0.0 <= self.high_noise_share <= 1.0:
            raise OptionError(f"high noise share must be in [0, 1], got {self.high_noise_share!r}")
        if not 0.0 <= self.heldout_fraction < 1.0:
            raise OptionError(f"heldout fraction must be in [0, 1), got {self.heldout_fraction!r}")
        if self.threads < 1:
            raise OptionError(f"threads must be at least 1, got {self.threads}")

    def lora_config(self, init_lora_weights: bool = True):
        """The peft LoraConfig for these settings (peft is imported only when adapters are used)."""
        from peft import LoraConfig

        return LoraConfig(
            r=self.rank,
            lora_alpha=float(self.alpha),  # type: ignore[arg-type]  # peft types it int; it divides by r
            target_modules=list(self.target_modules),
            lora_dropout=self.dropout,
            init_lora_weights=init_lora_weights,
        )
