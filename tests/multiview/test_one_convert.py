"""One convert for every kind: the CLI, the Python API, the HTTP API and batch give the same meshes.

Flags of another kind are refused.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import trimesh
from mv_shapes import (
    cad_part,
    character_frames,
    normalised,
    ortho_sheet,
    synthetic_object,
    to_trimesh,
    turntable_pictures,
)
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
    views = folder / "turn"
    views.mkdir()
    for index, picture in enumerate(turntable_pictures(*synthetic_object(3), [0.0, 90.0, 180.0, 270.0], 96)):
        alpha = picture.alpha if picture.alpha is not None else np.ones(picture.rgb.shape[:2])
        rgba = np.dstack([picture.rgb, alpha])
        Image.fromarray(np.clip(rgba * 255, 0, 255).astype(np.uint8)).save(views / f"view_{index}.png")
    return {
        "picture": folder / "egg.png",
        "ortho": folder / "sheet.png",
        "views": views,
        "frames": frames,
        "plan": folder / "plan.png",
    }


def files_of(source: Path) -> list[Path]:
    """The pictures a source stands for: a folder's in name order, or the one file."""
    return sorted(source.iterdir()) if source.is_dir() else [source]


CASES = {
    "picture": (FAST_FLAGS, FAST, None),
    "ortho": (ASSET_FLAGS, ConvertOptions(max_faces=1500, texture_px=64), OrthoOptions()),
    "views": (ASSET_FLAGS, ConvertOptions(max_faces=1500, texture_px=64), None),
    "frames": (FAST_FLAGS, FAST, FramesOptions()),
    "plan": (["--quiet"], ConvertOptions(), PlanOptions()),
}
# The HTTP form's fields for the same options (names follow the CLI flags).
FORM_FIELDS = {
    "picture": {"generator": "inflate", "faces": "1500", "texture_size": "64"},
    "ortho": {"faces": "1500", "texture_size": "64"},
    "views": {"faces": "1500", "texture_size": "64"},
    "frames": {"generator": "inflate", "faces": "1500", "texture_size": "64"},
    "plan": {},
}


@pytest.fixture(scope="module")
def http_client(tmp_path_factory: pytest.TempPathFactory):
    """An in-process server with one worker (its lifespan runs inside the block)."""
    pytest.importorskip("fastapi", reason="the studio extra is not installed")
    pytest.importorskip("httpx", reason="the TestClient needs httpx")
    from fastapi.testclient import TestClient

    from lift3d.serve.app import create_app
    from lift3d.serve.settings import ServerSettings

    settings = ServerSettings(data_dir=tmp_path_factory.mktemp("server"))
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        yield client


def convert_over_http(client, kind: str, source: Path, target: Path) -> None:
    """Upload the source's pictures as one job, wait for it, download its GLB to `target`."""
    uploads = [("file", (path.name, path.read_bytes(), "image/png")) for path in files_of(source)]
    fields = {**FORM_FIELDS[kind], "kind": kind, "formats": "glb"}
    created = client.post("/api/jobs", files=uploads, data=fields)
    assert created.status_code == 201, created.text
    deadline = time.monotonic() + 300
    while (job := client.get(created.json()["url"]).json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
    assert job["status"] == "done", job["error"]
    glb = next(file for file in job["files"] if file["kind"] == "glb")
    assert glb["download_name"] == f"{files_of(source)[0].stem}.glb"  # named after the picture
    target.write_bytes(client.get(glb["url"]).content)


# Where each input goes in a batch's folder: a kind is named in the entry's name.
BATCH_ENTRIES = {
    "picture": "egg.png",
    "ortho": "sheet.ortho.png",
    "views": "turn.views",
    "frames": "wave.frames",
    "plan": "house.plan.png",
}


@pytest.fixture(scope="module")
def batch_output(inputs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One batch over a folder holding every kind, with the options of the picture's CLI run."""
    from lift3d.batch import BatchOptions, run_batch

    folder = tmp_path_factory.mktemp("batch")
    for kind, entry in BATCH_ENTRIES.items():
        if inputs[kind].is_dir():
            shutil.copytree(inputs[kind], folder / "in" / entry)
        else:
            (folder / "in").mkdir(exist_ok=True)
            shutil.copy(inputs[kind], folder / "in" / entry)
    summary = run_batch(BatchOptions(folder / "in", folder / "out"), FAST)
    assert (summary.converted, summary.failed) == (len(BATCH_ENTRIES), 0), summary.failures
    return folder / "out"


@pytest.mark.parametrize("kind", list(CASES))
def test_cli_api_http_and_batch_give_the_same_mesh(
    kind: str, inputs: dict[str, Path], tmp_path: Path, http_client, batch_output: Path
) -> None:
    flags, options, kind_options = CASES[kind]
    sources = [str(path) for path in files_of(inputs[kind])] if kind == "views" else [str(inputs[kind])]
    by_cli = tmp_path / "cli.glb"
    assert main(["convert", *sources, "--kind", kind, "-o", str(by_cli), *flags]) == 0
    by_api = tmp_path / "api.glb"
    _, written = convert_to_files(sources, by_api, options, kind=kind, kind_options=kind_options)
    assert by_api in written and by_api.with_suffix(".lift3d.json") in written
    by_http = tmp_path / "http.glb"
    convert_over_http(http_client, kind, inputs[kind], by_http)
    by_batch = batch_output / f"{BATCH_ENTRIES[kind].split('.')[0]}.glb"
    assert mesh_hash(by_cli) == mesh_hash(by_api) == mesh_hash(by_http) == mesh_hash(by_batch)


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
