"""Atomic writes: after a Ctrl-C nothing new appears, even when a library swallowed the KeyboardInterrupt."""

from __future__ import annotations

import pytest

from lift3d.files import resume_publishing, stop_publishing, write_bytes_atomic, write_file_set


@pytest.fixture()
def stopped():
    stop_publishing()
    yield
    resume_publishing()


def test_a_result_is_not_renamed_into_place_after_a_ctrl_c(tmp_path, stopped) -> None:
    with pytest.raises(KeyboardInterrupt):
        write_bytes_atomic(tmp_path / "x.glb", b"glTF")
    assert list(tmp_path.iterdir()) == []  # neither the result nor its temporary file


def test_a_file_set_is_not_renamed_into_place_after_a_ctrl_c(tmp_path, stopped) -> None:
    files = {tmp_path / "x.obj": b"v 0 0 0", tmp_path / "x.mtl": b"newmtl a", tmp_path / "x.png": b"png"}
    with pytest.raises(KeyboardInterrupt):
        write_file_set(files)
    assert list(tmp_path.iterdir()) == []


def test_publishing_resumes_for_the_next_command(tmp_path) -> None:
    stop_publishing()
    resume_publishing()
    write_bytes_atomic(tmp_path / "x.glb", b"glTF")
    assert (tmp_path / "x.glb").read_bytes() == b"glTF"
