"""AssetOptions validates every field up front with a message naming it."""

from __future__ import annotations

import pytest

from lift3d.asset.options import AssetOptions
from lift3d.errors import OptionError


def test_defaults_are_valid() -> None:
    options = AssetOptions()
    assert (options.max_faces, options.texture_px, options.height_m) == (20000, 1024, 1.0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_faces", 99),
        ("max_faces", 2000.5),
        ("max_faces", True),
        ("texture_px", 32),
        ("texture_px", 8193),
        ("height_m", 0.0),
        ("height_m", float("inf")),
        ("height_m", float("nan")),
        ("crease_angle_deg", -1.0),
        ("crease_angle_deg", 181.0),
    ],
)
def test_invalid_value_raises_option_error_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(OptionError, match=field):
        AssetOptions(**{field: value})
