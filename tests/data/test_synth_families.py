"""`synthesize` and `lift3d data synth`: a family mix and a deformation share, recorded in the index."""

import numpy as np
import pytest

from lift3d.cli import main
from lift3d.data.shards import iter_samples, read_index
from lift3d.data.synth import FAMILY_NAMES, generate_sample, synthesize
from lift3d.errors import OptionError


def test_families_restrict_the_round_robin_and_are_recorded(tmp_path):
    out = synthesize(
        tmp_path / "set", n=4, seed=10, size=32, workers=1, progress=False, families=("creature", "vehicle")
    )
    index = read_index(out)
    assert index.families == ("creature", "vehicle") and index.deform_share == 0.0
    assert [sample.family for sample in iter_samples(out)] == ["creature", "vehicle"] * 2


def test_cli_families_and_deform_share(tmp_path):
    out = tmp_path / "cli"
    code = main(
        [
            "data",
            "synth",
            "--n",
            "2",
            "--out",
            str(out),
            "--size",
            "32",
            "--workers",
            "1",
            "--families",
            "prop,building",
            "--deform-share",
            "1",
        ]
    )
    assert code == 0
    index = read_index(out)
    assert index.families == ("prop", "building") and index.deform_share == 1.0
    for sample in iter_samples(out):
        mesh = sample.mesh()
        assert mesh.is_watertight and mesh.body_count == 1 and mesh.volume > 0


def test_unknown_family_and_a_changed_mix_are_refused(tmp_path):
    with pytest.raises(OptionError, match="no-such"):
        synthesize(tmp_path / "a", n=1, seed=0, size=32, workers=1, progress=False, families=("no-such",))
    synthesize(tmp_path / "b", n=1, seed=0, size=32, workers=1, progress=False)
    with pytest.raises(OptionError, match="another folder"):
        synthesize(tmp_path / "b", n=1, seed=0, size=32, workers=1, progress=False, deform_share=0.5)


def test_deformation_share_leaves_the_family_draws_alone():
    plain = generate_sample(5, size=32)
    assert plain.family == FAMILY_NAMES[5]
    same = generate_sample(5, size=32, deform_share=0.0)
    np.testing.assert_array_equal(plain.vertices, same.vertices)
    deformed = generate_sample(5, size=32, deform_share=1.0)
    assert deformed.family == plain.family
    assert deformed.mesh().is_watertight
    assert not np.array_equal(deformed.rgba[..., 3], plain.rgba[..., 3])


def test_v1_group_with_no_deformation_regenerates_the_old_mix(tmp_path):
    out = synthesize(
        tmp_path / "v1", n=2, seed=1_000_000_000, size=32, workers=1, progress=False, families=("v1",)
    )
    assert read_index(out).families == FAMILY_NAMES
    for sample in iter_samples(out):
        old = generate_sample(sample.seed, size=32)
        assert sample.family == old.family
        np.testing.assert_array_equal(sample.vertices, old.vertices)
