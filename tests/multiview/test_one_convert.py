"""One convert for every kind: the CLI and the Python API give the same meshes; flags of another kind are refused."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import trimesh
from mv_shapes import cad_part, character_frames, normalised, ortho_sheet, to_trimesh
from PIL import Image

from lift3d.api import ConvertOptions, convert, convert_to_files
from lift3d.cli import main
from lift3d.data.plans import HELDOUT_PLAN_SEED, generate_plan
from lift3d.errors import OptionError
from lift3d.pipelines import PIPELINES
from lift3d.pipelines.frames import FramesOptions
from lift3d.pipelines.ortho import OrthoOptions
from lift3d.reconstruct.plan import PlanOptions

FAST = ConvertOptions(generator="inflate", max_faces=1500, texture_px=64)
FAST_FLAGS = ["--generator", "inflate", "--faces", "1500", "--texture-size", "64", "--quiet"]
ASSET_FLAGS = ["--faces", "1500", "--texture-size", "64", "--quiet"]


def mesh_hash(path: Path) -> str:
    """A hash of every mesh's vertices and faces in a file (all nodes of a scene, in order)."""
    loaded = trimesh.load(path, force="scene", process=False)
    digest = hashlib.sha256()
    for name in sorted(loaded.geometry):
        geometry = loaded.geometry[name]
        digest.update(np.round(np.asarray(geometry.vertices), 6).tobytes())
        digest.update(np.asarray(geometry.faces).tobytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("kinds")
    rows, cols = np.mgrid[0:96, 0:96]
    rgba = np.zeros((96, 96, 4), np.uint8)
    rgba[((cols - 48) / 30) ** 2 + ((rows - 50) / 40) ** 2 < 1] = [200, 40, 40, 255]
    Image.fromarray(rgba).save(folder / "egg.png")
    part = normalised(to_trimesh(cad_part(np.random.default_rng(9003), "l_profile")))
    Image.fromarray(ortho_sheet(part, 160, "third-angle")).save(folder / "sheet.png")
    frames = folder / "wave"
    frames.mkdir()
    for index, frame in enumerate(character_frames(3)):
        frame.save(frames / f"frame_{index}.png")
    plan_rgb = generate_plan(HELDOUT_PLAN_SEED).picture().rgb
    Image.fromarray(np.clip(plan_rgb * 255, 0, 255).astype(np.uint8)).save(folder / "plan.png")
    return {
        "picture": folder / "egg.png",
        "ortho": folder / "sheet.png",
        "frames": frames,
        "plan": folder / "plan.png",
    }


CASES = {
    "picture": (FAST_FLAGS, FAST, None),
    "ortho": (ASSET_FLAGS, ConvertOptions(max_faces=1500, texture_px=64), OrthoOptions()),
    "frames": (FAST_FLAGS, FAST, FramesOptions()),
    "plan": (["--quiet"], ConvertOptions(), PlanOptions()),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_cli_and_api_give_the_same_mesh(kind: str, inputs: dict[str, Path], tmp_path: Path) -> None:
    flags, options, kind_options = CASES[kind]
    by_cli = tmp_path / "cli.glb"
    assert main(["convert", str(inputs[kind]), "--kind", kind, "-o", str(by_cli), *flags]) == 0
    by_api = tmp_path / "api.glb"
    _, written = convert_to_files(inputs[kind], by_api, options, kind=kind, kind_options=kind_options)
    assert by_api in written and by_api.with_suffix(".lift3d.json") in written
    assert mesh_hash(by_cli) == mesh_hash(by_api)


def test_every_kind_has_a_pipeline() -> None:
    assert set(PIPELINES) == {"picture", "ortho", "views", "frames", "plan"}


@pytest.mark.parametrize(
    ("kind", "flags", "named"),
    [
        ("plan", ["--rig"], "--rig"),
        ("plan", ["--faces", "900"], "--faces"),
        ("frames", ["--animations", "walk", "--rig"], "--animations"),  # --rig poses one character per frame
        ("frames", ["--mask", "m.png"], "--mask"),
        ("frames", ["--variants", "2"], "--variants"),
        ("ortho", ["--seed", "3"], "--seed"),
        ("ortho", ["--steps", "4"], "--steps"),
        ("plan", ["--fps", "12"], "--fps"),
        ("picture", ["--projection", "first-angle"], "--projection"),
        ("frames", ["--preview", "p.png"], "--preview"),
    ],
)
def test_a_flag_of_no_meaning_for_the_kind_is_refused_in_one_line(
    kind: str, flags: list[str], named: str, inputs: dict[str, Path], tmp_path: Path, capsys
) -> None:
    output = tmp_path / "out.glb"
    assert main(["convert", str(inputs[kind]), "--kind", kind, "-o", str(output), *flags]) != 0
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert named in error and kind in error
    assert not output.exists()


def test_the_api_refuses_an_option_the_kind_ignores(inputs: dict[str, Path]) -> None:
    with pytest.raises(OptionError, match="seed means nothing for kind ortho"):
        convert(inputs["ortho"], kind="ortho", seed=5)


def test_frames_honour_the_generator_and_seed_flags(inputs: dict[str, Path], tmp_path: Path) -> None:
    """Frames once built their own options and fell back to inflation; the flags now reach every frame."""
    output = tmp_path / "wave.glb"
    flags = ["--generator", "slab", "--seed", "3", "--faces", "900", "--texture-size", "64", "--quiet"]
    assert main(["convert", str(inputs["frames"]), "--kind", "frames", "-o", str(output), *flags]) == 0
    record = json.loads(output.with_suffix(".lift3d.json").read_text())
    assert record["resolved"]["generator"] == record["model"]["generator"] == "slab"
    assert record["seed"] == 3 and record["options"]["convert"]["max_faces"] == 900
    frame = trimesh.load(tmp_path / "wave_frame_000.glb", force="mesh")
    assert len(frame.faces) <= 900
