"""Held-out evaluation in adapter styles: drawings on paper go through detection like a user's."""

from __future__ import annotations

import pytest

from lift3d.errors import OptionError
from lift3d.evaluate.heldout import HELDOUT_SEED, parse_method, run_heldout_eval, styled_sample


def test_a_drawing_on_paper_scores_like_the_cut_out_render_of_the_same_shape():
    _, drawn = run_heldout_eval(None, 1, methods="inflate", style="sketch", progress=False)
    table, cut_out = run_heldout_eval(None, 1, methods="inflate", style="photo", progress=False)
    sketch, photo = drawn.overall["inflate"], cut_out.overall["inflate"]
    assert sketch.failures == 0 and sketch.watertight == 1.0
    # the outline found in the drawing lines up with the truth as well as the alpha mask does
    assert sketch.fscore_005 > 0.3
    assert abs(sketch.fscore_005 - photo.fscore_005) < 0.1
    assert "inflate" in table


def test_styled_samples_are_drawings_of_held_out_seeds():
    sample = styled_sample(HELDOUT_SEED, "sketch")
    ink = sample.rgba[..., :3].mean(axis=2) < 128
    assert 0.005 < ink.mean() < 0.3  # lines on paper, not a filled render
    assert sample.mask.any() and len(sample.faces) > 0


def test_methods_name_a_generator_and_its_adapters():
    assert parse_method("diffusion+sketch+toon") == ("diffusion", (("sketch", 1.0), ("toon", 1.0)))
    assert parse_method("inflate") == ("inflate", ())
    with pytest.raises(OptionError, match="adapters need the diffusion"):
        parse_method("inflate+sketch")
    with pytest.raises(OptionError, match="unknown method"):
        parse_method("magic")
    with pytest.raises(OptionError, match="unknown style"):
        run_heldout_eval(None, 1, methods="inflate", style="oil", progress=False)
