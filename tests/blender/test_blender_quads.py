"""The add-on's Quads option (no bpy): in-process it writes a quad OBJ; the server mode refuses in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lift3d.blender.lift3d_addon import (
    ClientError,
    ConvertRequest,
    Server,
    convert_in_process,
    convert_with_server,
)

pytest.importorskip("pyinstantmeshes", reason="--quads needs pyinstantmeshes: pip install 'lift3d[quads]'")

QUADS = ConvertRequest(generator="inflate", faces=2000, texture_size=128, quads=True)


def test_in_process_quads_write_an_obj_of_quads(disc_picture: Path, tmp_path: Path) -> None:
    paths = convert_in_process(disc_picture, QUADS, tmp_path)
    assert paths == [tmp_path / "model_0.obj"]
    faces = [line for line in paths[0].read_text().splitlines() if line.startswith("f ")]
    assert sum(len(line.split()) == 5 for line in faces) > 0.8 * len(faces)
    assert json.loads((tmp_path / "model_0.lift3d.json").read_text())["quads"]["watertight"]


def test_server_mode_refuses_quads_in_one_line(disc_picture: Path, tmp_path: Path) -> None:
    with pytest.raises(ClientError, match="In Blender") as error:
        convert_with_server(Server("http://127.0.0.1:9"), disc_picture, QUADS, tmp_path)
    assert "\n" not in str(error.value)
