"""Generated humanoids with known skeletons, shared by the rig tests (small pictures, small meshes)."""

from __future__ import annotations

import pytest

from lift3d.data.characters import CharacterSample, character_sample


@pytest.fixture(scope="session")
def humanoids() -> list[CharacterSample]:
    """Two held-out characters (seeds outside the template's training range)."""
    return [character_sample(seed, 128) for seed in (20000, 20003)]
