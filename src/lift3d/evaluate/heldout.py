"""The held-out benchmark behind `lift3d eval`: every generator through the real converter.

Each method sees only the rendered picture (never the ground truth) and runs the
same `Converter` as `lift3d convert`, so the table measures what users get. With
`backdrop`, pictures lose their alpha and sit on a plain, slightly noisy backdrop,
so the automatic segmentation is measured too.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import trimesh

from lift3d.api import CLASSICAL_GENERATORS, GENERATORS, Converter, ConvertOptions
from lift3d.errors import OptionError
from lift3d.evaluate.options import EvalOptions
from lift3d.evaluate.report import EvalReport, format_table, write_report_json
from lift3d.evaluate.runner import evaluate
from lift3d.types import Picture, Sample

HELDOUT_SEED = 1_000_000_000  # training runs use seeds far below this


def heldout_samples(data_dir: str | None, count: int) -> Iterator[Sample]:
    """Samples from a shard folder, or rendered on the fly from the held-out seed range."""
    if data_dir:
        from lift3d.data.shards import iter_samples

        return itertools.islice(iter_samples(data_dir), count)
    from lift3d.data.synth import generate_sample

    return (generate_sample(HELDOUT_SEED + index) for index in range(count))


def rendered_picture(sample: Sample) -> Picture:
    """The render as a user would save it: RGBA, alpha as the mask."""
    rgba = sample.rgba.astype(np.float32) / 255.0
    return Picture(rgb=rgba[..., :3], alpha=rgba[..., 3], source=f"sample {sample.seed}")


def photo_picture(sample: Sample) -> Picture:
    """The render on a plain backdrop with a soft shadow and sensor noise, without alpha."""
    rng = np.random.default_rng(sample.seed)
    rgba = sample.rgba.astype(np.float32) / 255.0
    height, width = rgba.shape[:2]
    backdrop = rng.uniform(0.75, 0.97) * np.ones(3) + rng.uniform(-0.05, 0.05, 3)
    rows = np.linspace(0.0, 1.0, height)[:, None, None]
    background = np.clip(backdrop * (0.95 + 0.08 * rows), 0.0, 1.0) * np.ones((height, width, 3))
    alpha = rgba[..., 3:4]
    from scipy import ndimage

    shadow = ndimage.gaussian_filter(ndimage.shift(alpha[..., 0], (3, 3), order=0), 3)[..., None]
    background = background * (1.0 - 0.25 * shadow)
    rgb = rgba[..., :3] * alpha + background * (1.0 - alpha)
    rgb = np.clip(rgb + rng.normal(0.0, 0.01, rgb.shape), 0.0, 1.0).astype(np.float32)
    return Picture(rgb=rgb, alpha=None, source=f"photo of sample {sample.seed}")


def styled_sample(seed: int, style: str) -> Sample:
    """A held-out procedural shape drawn in an adapter style, with its ground truth.

    The same drawing code as adapter training, from seeds no training run uses.
    """
    from lift3d.data.styles import picture_to_uint8
    from lift3d.training.adapter_data import synthetic_view, truth_mesh

    view, source = synthetic_view(seed, style)
    truth = truth_mesh(source)
    alpha = np.round(view.coverage * 255.0).astype(np.uint8)
    return Sample(
        rgba=np.dstack([picture_to_uint8(view.picture), alpha]),
        front_z=view.front_z,
        back_z=view.back_z,
        vertices=np.asarray(truth.vertices, dtype=np.float32),
        faces=np.asarray(truth.faces, dtype=np.int32),
        family=source["family"],
        seed=seed,
    )


def paper_picture(sample: Sample) -> Picture:
    """A drawing on white paper: the picture only, no alpha."""
    return Picture(
        rgb=sample.rgba[..., :3].astype(np.float32) / 255.0, alpha=None, source=f"drawing {sample.seed}"
    )


def parse_method(name: str) -> tuple[str, tuple[tuple[str, float], ...]]:
    """'diffusion+sketch' -> ('diffusion', (('sketch', 1.0),)): a generator and its adapters."""
    generator, *adapters = name.split("+")
    if generator not in GENERATORS:
        raise OptionError(f"unknown method {name!r}; choose from {', '.join(GENERATORS)}[+ADAPTER...]")
    if adapters and generator != "diffusion":
        raise OptionError(f"{name}: adapters need the diffusion generator")
    return generator, tuple((adapter, 1.0) for adapter in adapters)


def converter_method(
    name: str,
    make_picture: Callable[[Sample], Picture],
    model_dir: str | None = None,
    converter: Converter | None = None,
) -> Callable[[Sample], trimesh.Trimesh]:
    """A method that sees only the picture and returns the asset mesh `lift3d convert` would save.

    Automatic adapters are off, so each row is exactly the generator and adapters it names.
    `model_dir` swaps the shipped diffusion model for another (a training checkpoint);
    `converter` runs one built elsewhere (a benchmark's, with its shape maps replaced).
    """
    generator, adapters = parse_method(name)
    converter = converter or Converter(generator, model_dir)
    options = ConvertOptions(generator=generator, texture_px=256, adapters=adapters, auto_adapter=False)

    def run(sample: Sample) -> trimesh.Trimesh:
        return converter.convert(make_picture(sample), options)[0].mesh

    return run


def available_methods(style: str = "", model_dir: str | None = None) -> list[str]:
    from lift3d.generate.adapters.files import shipped_adapter_names
    from lift3d.generate.diffusion.weights import shipped_model_dir

    names = list(CLASSICAL_GENERATORS)[::-1]  # slab first: the weakest baseline heads the table
    if model_dir is None and shipped_model_dir() is None:
        return names
    names.append("diffusion")
    if style in shipped_adapter_names():
        names.append(f"diffusion+{style}")
    return names


def run_heldout_eval(
    data_dir: str | None,
    count: int,
    methods: str = "",
    backdrop: bool = False,
    json_path: str | None = None,
    progress: bool = True,
    style: str = "",
    model_dir: str | None = None,
) -> tuple[str, EvalReport]:
    """Score the chosen generators on held-out samples; returns the table and the report.

    With `style`, the held-out shapes are drawn in that adapter style (toon, sketch, ...)
    instead of being read from `data_dir`.
    """
    names = [name.strip() for name in methods.split(",") if name.strip()] or available_methods(
        style, model_dir
    )
    for name in names:
        parse_method(name)
    if count < 1:
        raise OptionError(f"--n must be at least 1, got {count}")
    if style:
        from lift3d.data.styles import PAPER_STYLES, STYLES

        if style not in STYLES:
            raise OptionError(f"unknown style {style!r}; choose from {', '.join(STYLES)}")
        samples = [styled_sample(HELDOUT_SEED + index, style) for index in range(count)]
        make_picture = paper_picture if style in PAPER_STYLES else rendered_picture
    else:
        samples = list(heldout_samples(data_dir, count))
        make_picture = photo_picture if backdrop else rendered_picture
    methods_run = {name: converter_method(name, make_picture, model_dir) for name in names}
    report = evaluate(samples, methods_run, EvalOptions(), progress)
    if json_path:
        write_report_json(report, Path(json_path))
    return format_table(report), report
