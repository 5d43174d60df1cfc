"""Every kind of GLB lift3d writes passes the Khronos glTF validator with no error and no warning.

The validator is the npm package `gltf-validator`, installed by `npm ci` in
tools/gltf-validator (CI does it); without node or that install the test says so and skips.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.export.test_export_inputs_kept import fast_for, make_inputs

from lift3d.cli import main

VALIDATOR = Path(__file__).resolve().parents[2] / "tools" / "gltf-validator"

# (kind, extra flags) -> each makes one or more GLBs; names say what they cover
OUTPUTS = {
    "picture": ("picture", []),
    "picture_jpg_z_up": ("picture", ["--texture-format", "jpg", "--up", "z"]),
    "picture_webp_center": ("picture", ["--texture-format", "webp", "--pivot", "center"]),
    "picture_unlit": ("picture", ["--material", "unlit"]),
    "variants": ("picture", ["--variants", "2"]),
    "ortho": ("ortho", []),
    "views": ("views", ["--azimuths", "0,90,180,270"]),
    "frames": ("frames", []),
    "frames_webp_z_up": ("frames", ["--texture-format", "webp", "--up", "z"]),
    "plan": ("plan", []),
    "plan_center": ("plan", ["--pivot", "center"]),
    "picture_rig_webp": ("picture", ["--rig", "--texture-format", "webp"]),
}


def validator_missing() -> str:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (VALIDATOR / "node_modules" / "gltf-validator").is_dir():
        return f"run `npm ci` in {VALIDATOR} to install the Khronos glTF validator"
    return ""


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    reason = validator_missing()
    if reason:
        pytest.skip(reason)
    files = []
    for label, (kind, extra) in OUTPUTS.items():
        folder = tmp_path_factory.mktemp(label)
        inputs = [str(folder / name) for name in make_inputs(folder, kind)]
        output = str(folder / f"{label}.glb")
        assert main(["convert", *inputs, "--kind", kind, "-o", output, *extra, *fast_for(kind)]) == 0
        files += sorted(folder.glob("*.glb"))
    run = subprocess.run(
        ["node", str(VALIDATOR / "validate.mjs"), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {Path(report["path"]).name: report for report in json.loads(run.stdout)}


def test_every_kind_of_glb_has_no_validator_error_or_warning(reports: dict[str, dict]) -> None:
    expected = {f"{label}.glb" for label in OUTPUTS if label != "variants"}
    assert expected | {"variants_0.glb", "variants_1.glb", "frames_frame_000.glb"} <= set(reports)
    problems = {
        name: [m for m in report["messages"] if m["severity"] <= 1]
        for name, report in reports.items()
        if report["errors"] or report["warnings"]
    }
    assert problems == {}


def test_the_validator_reads_textures_and_the_webp_extension(reports: dict[str, dict]) -> None:
    # Infos are allowed (a plan's UVs wait for a texture the user adds), but nothing is unsupported.
    codes = {m["code"] for report in reports.values() for m in report["messages"]}
    assert "UNSUPPORTED_EXTENSION" not in codes
    assert "UNUSED_OBJECT" not in {m["code"] for m in reports["picture.glb"]["messages"]}
