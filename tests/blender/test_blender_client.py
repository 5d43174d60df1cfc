"""The add-on's HTTP client (no bpy) against a real `lift3d serve`: convert, refuse, fail in one line."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from lift3d.blender.lift3d_addon import (
    ClientError,
    ConvertRequest,
    Server,
    convert_in_process,
    convert_with_server,
    download_results,
    encode_png,
    get_job,
    lift3d_options,
    panel_options,
    server_options,
    submit_job,
    wait_for_job,
)
from lift3d.evaluate.metrics import is_watertight

FAST = ConvertRequest(generator="inflate", faces=2000, texture_size=128)


def _only_mesh(path: Path) -> trimesh.Trimesh:
    loaded = trimesh.load(path)
    if isinstance(loaded, trimesh.Scene):
        assert len(loaded.geometry) == 1
        return next(iter(loaded.geometry.values()))
    return loaded


def test_client_converts_a_picture_on_a_real_server(
    live_server: str, disc_picture: Path, tmp_path: Path
) -> None:
    progress: list[tuple[float, str]] = []
    out = tmp_path / "downloads"
    out.mkdir()
    paths = convert_with_server(
        Server(live_server), disc_picture, FAST, out, on_progress=lambda *step: progress.append(step)
    )
    assert paths == [out / "model_0.glb"]
    mesh = _only_mesh(paths[0])
    assert is_watertight(mesh)
    assert len(mesh.faces) <= 2000
    assert mesh.extents[1] == pytest.approx(1.0, rel=1e-3)  # the default height, in metres
    assert progress[-1][0] == pytest.approx(1.0)
    assert not [path.name for path in out.iterdir() if path.name.startswith(".")]  # no partial files


@pytest.mark.parametrize("token", ["s3cret"])
def test_token_is_sent_and_a_wrong_one_is_reported(live_server: str, disc_picture: Path, token: str) -> None:
    with pytest.raises(ClientError, match="bearer token"):
        submit_job(Server(live_server, token="wrong"), disc_picture, FAST)
    job = submit_job(Server(live_server, token=token), disc_picture, FAST)
    assert job["status"] in ("queued", "running", "done")


def test_cancelling_deletes_the_job_on_the_server(live_server: str, disc_picture: Path) -> None:
    server = Server(live_server)
    job = submit_job(server, disc_picture, FAST)
    with pytest.raises(ClientError, match="^cancelled$"):
        wait_for_job(server, job["id"], cancelled=lambda: True)
    with pytest.raises(ClientError, match="no job"):
        get_job(server, job["id"])


def test_in_process_mode_writes_one_glb_per_variant(disc_picture: Path, tmp_path: Path) -> None:
    request = ConvertRequest(generator="inflate", faces=2000, texture_size=128, variants=2, seed=5)
    paths = convert_in_process(disc_picture, request, tmp_path)
    assert paths == [tmp_path / "model_0.glb", tmp_path / "model_1.glb"]
    assert all(is_watertight(_only_mesh(path)) for path in paths)
    assert json.loads((tmp_path / "model_1.lift3d.json").read_text())["seed"] == 6  # consecutive seeds


def test_in_process_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ClientError, match="missing.png"):
        convert_in_process(tmp_path / "missing.png", FAST, tmp_path)


def test_a_refused_option_carries_the_server_message(live_server: str, disc_picture: Path) -> None:
    with pytest.raises(ClientError, match=r"^the lift3d server refused: faces"):
        submit_job(Server(live_server), disc_picture, ConvertRequest(faces=0))


def test_a_picture_the_server_cannot_read_is_refused(live_server: str, tmp_path: Path) -> None:
    not_a_picture = tmp_path / "notes.png"
    not_a_picture.write_text("hello")
    with pytest.raises(ClientError) as error:
        submit_job(Server(live_server), not_a_picture, FAST)
    assert "notes.png" in str(error.value) and "\n" not in str(error.value)


def test_no_server_is_one_line(disc_picture: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ClientError, match=rf"cannot reach the lift3d server at http://127.0.0.1:{port}"):
        submit_job(Server(f"http://127.0.0.1:{port}"), disc_picture, FAST)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "127.0.0.1:8000", ""])
def test_only_web_urls_are_opened(url: str, disc_picture: Path) -> None:
    with pytest.raises(ClientError, match="server URL must look like"):
        submit_job(Server(url), disc_picture, FAST)


def test_result_names_never_leave_the_download_folder(tmp_path: Path) -> None:
    job = {"id": "a" * 32, "files": [{"name": "../evil.glb", "kind": "glb", "variant": 0}]}
    with pytest.raises(ClientError, match="not a plain file name"):
        download_results(Server("http://127.0.0.1:9"), job, tmp_path)


def test_encode_png_round_trips() -> None:
    rgba = np.random.default_rng(0).integers(0, 256, size=(5, 7, 4), dtype=np.uint8)
    decoded = np.asarray(Image.open(io.BytesIO(encode_png(rgba))))
    assert decoded.shape == (5, 7, 4) and np.array_equal(decoded, rgba)


def test_the_panel_shows_the_server_defaults_within_its_caps(live_server: str) -> None:
    """Server mode shows /api/info's defaults and caps; with no server, the installed lift3d's."""
    from lift3d.api import OPTION_RANGES, ConvertOptions
    from lift3d.serve.settings import ServerSettings

    served, own = server_options(Server(live_server)), lift3d_options()
    assert {name: option["default"] for name, option in served.items()} == {
        "faces": ConvertOptions.max_faces,
        "texture_size": ConvertOptions.texture_px,
        "height": ConvertOptions.height_m,
        "seed": ConvertOptions.seed,
        "variants": ConvertOptions.variants,
    }
    assert {name: option["default"] for name, option in own.items()} == {
        name: option["default"] for name, option in served.items()
    }
    caps = ServerSettings(data_dir=Path("unused"))
    assert served["faces"]["maximum"] == caps.max_faces and served["variants"]["maximum"] == caps.max_variants
    assert own["faces"]["maximum"] == OPTION_RANGES["max_faces"][1]
    assert panel_options(Server(live_server)) == served
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    assert panel_options(Server(f"http://127.0.0.1:{port}")) == own


def test_an_option_left_unset_is_not_sent() -> None:
    """It takes the default where the conversion runs: the add-on restates none."""
    assert ConvertRequest().form_fields() == {"formats": "glb"}
    assert FAST.form_fields() == {
        "faces": "2000",
        "texture_size": "128",
        "formats": "glb",
        "generator": "inflate",
    }
