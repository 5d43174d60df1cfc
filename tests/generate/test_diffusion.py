"""The shape diffusion model: tiny random configurations, trained and sampled on the CPU."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lift3d.data.synth import synthesize
from lift3d.errors import InputError, OptionError
from lift3d.generate.diffusion.model import COVERAGE, build_unet
from lift3d.generate.diffusion.pipeline import ShapeDiffusion, noise_schedule, sampling_scheduler
from lift3d.reconstruct import maps_to_mesh
from lift3d.training.base import TrainOptions, drawn_look, shrink_sample_arrays, train


def tiny_model(seed: int = 0) -> ShapeDiffusion:
    """A random tiny model; its last layer is randomised too, so it is not just the prior."""
    torch.manual_seed(seed)
    unet = build_unet(16, (32, 64))
    torch.nn.init.normal_(unet.conv_out.weight, std=0.05)
    return ShapeDiffusion(unet, sampling_scheduler(noise_schedule()), {"name": "tiny"})


def test_an_untrained_model_predicts_exactly_the_inflation_prior(disc_cutout) -> None:
    from lift3d.generate import inflate

    torch.manual_seed(0)
    model = ShapeDiffusion(build_unet(16, (32, 64)), sampling_scheduler(noise_schedule()), {"name": "fresh"})
    maps = model.predict(disc_cutout, seed=0, steps=3)
    small = inflate(disc_cutout)
    assert maps.front_z.shape == (16, 16)
    assert np.allclose(maps.back_z, -maps.front_z, atol=1e-5)
    assert 0.5 * small.front_z.max() < maps.front_z.max() < 1.5 * small.front_z.max()


def test_sampling_is_deterministic_by_seed_and_differs_across_seeds(disc_cutout) -> None:
    model = tiny_model()
    first = model.predict(disc_cutout, seed=3, steps=4)
    again = model.predict(disc_cutout, seed=3, steps=4)
    other = model.predict(disc_cutout, seed=4, steps=4)
    np.testing.assert_array_equal(first.front_z, again.front_z)
    assert np.abs(first.front_z - other.front_z).max() > 1e-4
    assert first.mask is disc_cutout.mask  # the outline stays at the cutout's full resolution


def test_ensembles_vary_less_across_seeds_than_single_samples(disc_cutout) -> None:
    model = tiny_model()

    def spread(ensemble: int) -> float:
        maps = [
            model.predict(disc_cutout, seed=seed, steps=4, ensemble=ensemble).front_z for seed in range(4)
        ]
        return float(np.std(maps, axis=0).mean())

    assert spread(4) < 0.8 * spread(1)


def test_correction_blur_removes_bumps_but_keeps_a_tilt() -> None:
    from lift3d.generate.diffusion.model import PRIOR, make_condition
    from lift3d.generate.diffusion.pipeline import smooth_correction

    size = 64
    rows, cols = np.mgrid[0:size, 0:size]
    coverage = (((rows - 32) ** 2 + (cols - 32) ** 2) < 24**2).astype(np.float32)
    condition = make_condition(np.ones((size, size, 3), np.float32), coverage)
    prior = condition[PRIOR]
    tilt = 0.005 * (cols - 32) * coverage  # a smooth change: the object leans back
    bumps = np.random.default_rng(0).normal(0.0, 0.05, (2, size, size)) * coverage
    maps = prior + tilt + bumps
    smoothed = smooth_correction(maps.astype(np.float32), condition, 1.5)
    core = ((rows - 32) ** 2 + (cols - 32) ** 2) < 18**2
    error = np.abs(smoothed - prior - tilt)[:, core].mean()
    assert error < 0.35 * np.abs(bumps[:, core]).mean()
    assert np.all(smoothed[:, coverage == 0] == prior[:, coverage == 0])


def test_any_prediction_reconstructs_watertight(disc_cutout) -> None:
    maps = tiny_model().predict(disc_cutout, seed=0, steps=1)
    assert maps_to_mesh(maps).is_watertight


def test_save_and_load_give_the_same_maps(tmp_path, disc_cutout) -> None:
    model = tiny_model()
    model.save_pretrained(tmp_path / "model")
    assert (tmp_path / "model" / "unet" / "diffusion_pytorch_model.safetensors").is_file()
    assert not list((tmp_path / "model").rglob("*.bin"))  # safetensors only, nothing pickled
    loaded = ShapeDiffusion.from_pretrained(tmp_path / "model")
    a = model.predict(disc_cutout, seed=1, steps=2).front_z
    b = loaded.predict(disc_cutout, seed=1, steps=2).front_z
    np.testing.assert_allclose(a, b, atol=1e-5)
    assert len(loaded.identity["weights_sha256"]) == 16


def test_half_precision_copy_is_half_the_size_and_predicts_the_same(tmp_path, disc_cutout) -> None:
    model = tiny_model()
    model.save_pretrained(tmp_path / "full")
    model.save_pretrained(tmp_path / "half", half=True)
    weights = "unet/diffusion_pytorch_model.safetensors"
    assert (tmp_path / "half" / weights).stat().st_size < 0.6 * (tmp_path / "full" / weights).stat().st_size
    assert next(model.unet.parameters()).dtype == torch.float32  # the caller's model is left alone
    loaded = ShapeDiffusion.from_pretrained(tmp_path / "half")
    assert next(loaded.unet.parameters()).dtype == torch.float32
    a = model.predict(disc_cutout, seed=1).front_z
    b = loaded.predict(disc_cutout, seed=1).front_z
    np.testing.assert_allclose(a, b, atol=2e-2)


def test_corrupt_weights_give_a_model_error(tmp_path) -> None:
    from lift3d.errors import ModelError

    tiny_model().save_pretrained(tmp_path / "model")
    (tmp_path / "model" / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(ModelError, match="cannot load"):
        ShapeDiffusion.from_pretrained(tmp_path / "model")


def test_shrinking_keeps_maps_on_the_object_only() -> None:
    rgba = np.zeros((1, 4, 4, 4), np.uint8)
    rgba[0, :2, :2] = [255, 0, 0, 255]
    rgba[0, 0, 0, 3] = 0  # one pixel of the top-left block is off the object
    front = np.full((1, 4, 4), 0.5, np.float16)
    condition, maps = shrink_sample_arrays(rgba, front, -front, 2)
    assert maps[0, 0, 0, 0] == pytest.approx(0.5, abs=1e-3)  # not pulled toward 0 by the empty pixel
    assert condition.shape == (1, 6, 2, 2)
    assert condition[0, 3, 0, 0] == pytest.approx(2 * 0.75 - 1, abs=1e-2)  # coverage 3/4
    assert condition[0, 0, 1, 1] == pytest.approx(1.0, abs=1e-3)  # background is white


def shaded_ball_conditions(count: int = 32, size: int = 32) -> torch.Tensor:
    """Rendered-looking conditions: a lit ball on white, coverage channel set."""
    rows, cols = np.mgrid[0:size, 0:size] / size - 0.5
    inside = (rows**2 + cols**2 < 0.16).astype(np.float32)
    light = np.clip(0.9 - 1.5 * np.hypot(rows + 0.15, cols + 0.15), 0.2, 1.0)
    picture = np.where(inside[..., None], light[..., None] * np.array([0.8, 0.3, 0.2]), 1.0)
    condition = np.concatenate(
        [picture.transpose(2, 0, 1) * 2 - 1, inside[None] * 2 - 1, np.zeros((2, size, size))]
    )
    return torch.from_numpy(np.repeat(condition[None], count, axis=0)).float()


def test_drawn_look_flattens_shading_and_keeps_the_rest() -> None:
    condition = shaded_ball_conditions()
    assert torch.equal(drawn_look(condition, torch.Generator().manual_seed(0), 0.0), condition)
    drawn = drawn_look(condition, torch.Generator().manual_seed(0), 1.0)
    inside = condition[0, COVERAGE] > 0
    # coverage and prior are the training target's frame: untouched; the paper stays white
    assert torch.equal(drawn[:, COVERAGE:], condition[:, COVERAGE:])
    assert torch.equal(drawn[:, :COVERAGE][:, :, ~inside], condition[:, :COVERAGE][:, :, ~inside])

    # far fewer distinct tones inside than the smooth shading had, for most pictures
    def tones(picture: torch.Tensor) -> int:
        return len(torch.unique(picture[:, inside].round(decimals=2), dim=1).T)

    assert tones(condition[0]) > 100
    assert np.median([tones(picture) for picture in drawn]) < 20


@pytest.mark.slow
def test_training_lowers_the_loss_and_resumes(tmp_path) -> None:
    data = synthesize(tmp_path / "data", 16, seed=0, size=32, shard_size=16, workers=1, progress=False)
    options = TrainOptions(
        data=str(data),
        out=str(tmp_path / "run"),
        size_px=16,
        block_channels=(32, 64),
        batch_size=8,
        steps=60,
        learning_rate=3e-3,
        warmup_steps=5,
        checkpoint_every=30,
        bf16=False,
    )
    model_dir = train(options, progress=False)
    losses = [json.loads(line)["loss"] for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert np.mean(losses[-15:]) < 0.7 * np.mean(losses[:5])
    assert ShapeDiffusion.from_pretrained(model_dir).record["steps_done"] == 60
    # Resuming a finished run does no more steps and keeps the same weights.
    before = (model_dir / "unet" / "diffusion_pytorch_model.safetensors").read_bytes()
    train(options, progress=False)
    assert len((tmp_path / "run" / "log.jsonl").read_text().splitlines()) == 60
    assert (model_dir / "unet" / "diffusion_pytorch_model.safetensors").read_bytes() == before


def test_one_result_averages_the_default_ensemble_and_variants_do_not(tmp_path, disc_cutout) -> None:
    from lift3d.api import Converter, ConvertOptions
    from lift3d.generate.diffusion.pipeline import DEFAULT_ENSEMBLE, VARIANT_STEPS

    tiny_model().save_pretrained(tmp_path / "tiny")
    converter = Converter("diffusion", tmp_path / "tiny")
    model = converter.model
    single = converter.shape_maps(disc_cutout, ConvertOptions(), seed=2).front_z
    averaged = model.predict(disc_cutout, seed=2, ensemble=DEFAULT_ENSEMBLE).front_z
    alone = model.predict(disc_cutout, seed=2, ensemble=1).front_z
    np.testing.assert_allclose(single, averaged, atol=1e-6)
    assert DEFAULT_ENSEMBLE > 1 and np.abs(single - alone).max() > 1e-4
    variant = converter.shape_maps(disc_cutout, ConvertOptions(variants=2), seed=2).front_z
    expected = model.predict(disc_cutout, seed=2, steps=VARIANT_STEPS, ensemble=1).front_z
    np.testing.assert_allclose(variant, expected, atol=1e-6)


def test_squeeze_makes_a_narrower_solid_as_deep_as_it_is_wide() -> None:
    from lift3d.generate.diffusion.model import PRIOR, make_condition
    from lift3d.training.base import squeeze

    size = 32
    rows, cols = (np.mgrid[0:size, 0:size] + 0.5) / size * 2 - 1
    radius = 0.8
    height = np.sqrt(np.clip(radius**2 - rows**2 - cols**2, 0, None)).astype(np.float32)
    coverage = (height > 0).astype(np.float32)
    picture = np.where(coverage[..., None] > 0, np.array([0.8, 0.3, 0.2]), 1.0).astype(np.float32)
    condition = torch.from_numpy(make_condition(picture, coverage))[None].repeat(8, 1, 1, 1)
    maps = torch.from_numpy(np.stack([height, -height]))[None].repeat(8, 1, 1, 1)

    same = squeeze(condition.clone(), maps.clone(), torch.Generator().manual_seed(0), 0.0)
    assert torch.equal(same[0], condition) and torch.equal(same[1], maps)
    squeezed, thinner = squeeze(condition.clone(), maps.clone(), torch.Generator().manual_seed(0), 1.0)
    inside = squeezed[:, COVERAGE] > 0
    widths = inside.any(dim=1).sum(dim=1).float()
    heights = inside.any(dim=2).sum(dim=1).float()
    original_height = (condition[0, COVERAGE] > 0).any(dim=1).sum()
    assert (widths < 0.92 * heights).all() and (heights >= 0.95 * original_height).all()
    pixel = 2.0 / size
    depth_over_width = (thinner[:, 0] - thinner[:, 1]).flatten(1).amax(dim=1) / (widths * pixel)
    assert torch.allclose(depth_over_width, torch.ones(8), atol=0.12)  # a ball stays as deep as wide
    for index in range(8):  # the prior is the inflation of the new outline, as at inference
        coverage_now = (squeezed[index, COVERAGE].numpy() > 0).astype(np.float32)
        expected = make_condition(np.ones((size, size, 3), np.float32), coverage_now)[PRIOR]
        np.testing.assert_allclose(squeezed[index, PRIOR].numpy(), expected, atol=1e-5)


def test_training_can_start_from_a_saved_model(tmp_path) -> None:
    data = synthesize(tmp_path / "data", 8, seed=0, size=32, shard_size=8, workers=1, progress=False)
    start = tiny_model(seed=5)
    start.save_pretrained(tmp_path / "start")
    common = dict(data=str(data), size_px=16, batch_size=4, steps=1, learning_rate=1e-12, bf16=False)
    options = TrainOptions(
        out=str(tmp_path / "run"), block_channels=(32, 64), init_from=str(tmp_path / "start"), **common
    )
    trained = ShapeDiffusion.from_pretrained(train(options, progress=False)).unet.state_dict()
    for name, value in start.unet.state_dict().items():
        torch.testing.assert_close(trained[name], value, atol=1e-6, rtol=0)
    wrong = TrainOptions(
        out=str(tmp_path / "other"), block_channels=(16, 32), init_from=str(tmp_path / "start"), **common
    )
    with pytest.raises(OptionError, match="other block channels"):
        train(wrong, progress=False)


def test_slope_loss_is_zero_for_equal_slopes_and_measures_a_slope_difference() -> None:
    from lift3d.training.base import slope_loss

    size = 16
    rows, cols = (np.mgrid[0:size, 0:size] + 0.5) / size * 2 - 1  # view units, 2 across
    inside = torch.zeros(1, 1, size, size)
    inside[..., 4:12, 3:13] = 1.0
    true = torch.from_numpy(np.stack([0.5 * cols, -0.2 * rows]).astype(np.float32))[None] * inside
    assert slope_loss(true, true, inside) == 0.0
    # A constant offset changes depths, not slopes; neither does anything outside the object.
    shifted = (true + 0.3) * inside + 5.0 * torch.rand(1, 2, size, size) * (1.0 - inside)
    assert slope_loss(shifted, true, inside).item() < 1e-6
    # Front slope across 0.5 -> 1.25 (error 0.75), back slope down -0.2 -> 0.3 (error 0.5):
    # each axis averages over both maps, so the loss is 0.75 / 2 + 0.5 / 2.
    tilted = torch.from_numpy(np.stack([1.25 * cols, 0.3 * rows]).astype(np.float32))[None] * inside
    torch.testing.assert_close(slope_loss(tilted, true, inside), torch.tensor(0.625), atol=1e-5, rtol=0)
    # The same surfaces at twice the resolution give the same loss (slopes, not steps).
    fine = torch.nn.functional.interpolate
    twice = [fine(x, scale_factor=2, mode="nearest") for x in (inside,)][0]
    rows2, cols2 = (np.mgrid[0 : 2 * size, 0 : 2 * size] + 0.5) / (2 * size) * 2 - 1
    true2 = torch.from_numpy(np.stack([0.5 * cols2, -0.2 * rows2]).astype(np.float32))[None] * twice
    tilted2 = torch.from_numpy(np.stack([1.25 * cols2, 0.3 * rows2]).astype(np.float32))[None] * twice
    torch.testing.assert_close(slope_loss(tilted2, true2, twice), torch.tensor(0.625), atol=1e-5, rtol=0)
    # Gradients flow to the prediction, and the term is off by default in training.
    predicted = tilted.clone().requires_grad_(True)
    slope_loss(predicted, true, inside).backward()
    assert predicted.grad is not None and predicted.grad.abs().sum() > 0
    assert TrainOptions(data="d", out="o").gradient_weight == 0.0


def test_rim_band_is_the_object_next_to_its_outline() -> None:
    from lift3d.training.base import rim_band

    on_object = torch.zeros(1, 1, 12, 12)
    on_object[..., 2:10, 3:11] = 1.0  # an 8 x 8 square
    band = rim_band(on_object, 2)
    # Two pixels wide all round: the inner 4 x 4 is left out, nothing off the object is in.
    assert band.sum().item() == 64 - 16
    assert band[..., 4:8, 5:9].sum().item() == 0.0
    assert (band * (1.0 - on_object)).sum().item() == 0.0
    assert rim_band(on_object, 0).sum().item() == 0.0


def test_mid_surface_slope_sees_a_tilt_that_front_and_back_share_not_a_thickness_change() -> None:
    from lift3d.training.base import slope_loss

    size = 16
    rows, cols = (np.mgrid[0:size, 0:size] + 0.5) / size * 2 - 1
    inside = torch.zeros(1, 1, size, size)
    inside[..., 3:13, 3:13] = 1.0
    flat = torch.from_numpy(np.stack([0.3 + 0 * cols, -0.3 + 0 * cols]).astype(np.float32))[None] * inside
    # Thicker towards the right (front and back slope apart): the mid-surface stays flat.
    wedge = torch.from_numpy(np.stack([0.3 + 0.2 * cols, -0.3 - 0.2 * cols]).astype(np.float32))[None]
    # Tilted (both slope alike): the mid-surface tilts by 0.2 per view unit.
    tilt = torch.from_numpy(np.stack([0.3 + 0.2 * cols, -0.3 + 0.2 * cols]).astype(np.float32))[None]

    def mid(maps: torch.Tensor) -> torch.Tensor:
        return maps.mean(1, keepdim=True)

    assert slope_loss(mid(wedge * inside), mid(flat), inside).item() < 1e-6
    # Across: error 0.2, down: 0; the loss sums the two axes.
    torch.testing.assert_close(
        slope_loss(mid(tilt * inside), mid(flat), inside), torch.tensor(0.2), atol=1e-5, rtol=0
    )
    assert slope_loss(wedge * inside, flat, inside).item() > 0.1  # the map slopes do see the wedge


def test_normal_loss_is_the_angle_between_normals_not_the_slope_difference() -> None:
    from lift3d.training.base import normal_loss, slope_loss

    size = 16
    rows, cols = (np.mgrid[0:size, 0:size] + 0.5) / size * 2 - 1
    inside = torch.zeros(1, 1, size, size)
    inside[..., 3:13, 3:13] = 1.0

    def plane(slope: float) -> torch.Tensor:
        return torch.from_numpy(np.stack([slope * cols, -slope * cols]).astype(np.float32))[None] * inside

    flat = plane(0.0)
    assert normal_loss((flat + 0.3) * inside, flat, inside).item() < 1e-6  # depth, not direction
    # A 45 degree tilt against flat: 1 - cos 45.
    torch.testing.assert_close(
        normal_loss(plane(1.0), flat, inside), torch.tensor(1 - 0.5**0.5), atol=1e-5, rtol=0
    )
    # Two steep walls (slopes 10 and 20) are a few degrees apart: a small normals loss, a big slope loss.
    steep = normal_loss(plane(20.0), plane(10.0), inside).item()
    assert steep < 0.01 < slope_loss(plane(20.0), plane(10.0), inside).item()


def test_training_with_the_slope_rim_and_mid_surface_terms_keeps_snapshots(tmp_path) -> None:
    data = synthesize(tmp_path / "data", 8, seed=0, size=32, shard_size=8, workers=1, progress=False)
    options = TrainOptions(
        data=str(data),
        out=str(tmp_path / "run"),
        size_px=16,
        block_channels=(32, 64),
        batch_size=4,
        steps=4,
        checkpoint_every=2,
        snapshot_every=2,
        gradient_weight=0.01,
        mid_gradient_weight=0.02,
        normal_weight=0.05,
        rim_weight=3.0,
        bf16=False,
    )
    train(options, progress=False)
    record = ShapeDiffusion.from_pretrained(tmp_path / "run" / "model").record
    assert record["train_options"]["rim_weight"] == 3.0
    assert record["train_options"]["mid_gradient_weight"] == 0.02
    for step in (2, 4):
        assert (
            ShapeDiffusion.from_pretrained(tmp_path / "run" / "snapshots" / f"step-{step}").record[
                "steps_done"
            ]
            == step
        )
    with pytest.raises(OptionError, match="multiple of checkpoint_every"):
        TrainOptions(data="d", out="o", checkpoint_every=500, snapshot_every=300)
    with pytest.raises(OptionError, match="rim weight"):
        TrainOptions(data="d", out="o", rim_weight=0.0)
    with pytest.raises(OptionError, match="must not be negative"):
        TrainOptions(data="d", out="o", mid_gradient_weight=-1.0)


def test_training_data_mixes_comma_separated_folders_in_order(tmp_path) -> None:
    """`--data a,b` loads every shard of a, then of b: the same arrays as one folder of both."""
    from lift3d.training.base import load_arrays

    first = synthesize(tmp_path / "a", 4, seed=0, size=32, shard_size=4, workers=1, progress=False)
    second = synthesize(
        tmp_path / "b", 3, seed=500, size=32, shard_size=3, workers=1, progress=False, families=("rod",)
    )
    conditions, maps = load_arrays(f"{first},{second}", 16)
    alone = [load_arrays(str(folder), 16) for folder in (first, second)]
    assert conditions.shape[0] == 7
    assert torch.equal(conditions, torch.cat([alone[0][0], alone[1][0]]))
    assert torch.equal(maps, torch.cat([alone[0][1], alone[1][1]]))
    with pytest.raises(InputError, match="does not exist"):
        load_arrays(f"{first},{tmp_path / 'missing'}", 16)
