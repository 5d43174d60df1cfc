"""Command-line flags that every converting command shares (convert, batch), and their options.

Each flag is made from its ConvertOptions field: the default and help are the field's own,
the range is OPTION_RANGES'; only the spelling is this module's.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from lift3d.api import OPTION_RANGES, ConvertOptions
from lift3d.errors import OptionError

# The flag of each ConvertOptions field, so a refusal names what the user typed. A field whose
# default is true is turned off by its flag. The first ones are the flags every converting
# command shares, in the order --help lists them; `lift3d convert` adds the last ones itself.
FLAG_NAMES = {
    "generator": "--generator",
    "max_faces": "--faces",
    "texture_px": "--texture-size",
    "height_m": "--height",
    "pivot": "--pivot",
    "seed": "--seed",
    "hidden_side": "--hidden-side",
    "delight": "--no-delight",
    "quads": "--quads",
    "steps": "--steps",
    "variants": "--variants",
    "ensemble": "--ensemble",
    "adapters": "--adapter",
    "auto_adapter": "--no-auto-adapter",
    "rig": "--rig",
    "auto_rig": "--no-rig",
    "animations": "--animations",
    "mask": "--mask",
}
# How one item of a list flag is written.
ITEM_SPELLING = {"adapters": "NAME_OR_PATH[:WEIGHT]"}
SHARED_FIELDS = tuple(FLAG_NAMES)[: tuple(FLAG_NAMES).index("auto_adapter") + 1]
FIELDS = {field.name: field for field in dataclasses.fields(ConvertOptions)}


def add_conversion_flags(parser: argparse.ArgumentParser) -> None:
    """The shared ConvertOptions flags, with the same names, defaults and help everywhere."""
    for name in SHARED_FIELDS:
        parser.add_argument(FLAG_NAMES[name], **flag_arguments(name))


def flag_destination(name: str) -> str:
    """Where argparse keeps a field's flag: the flag's own name (--no-delight: delight), a list's field name."""
    if isinstance(FIELDS[name].default, tuple):
        return name
    return FLAG_NAMES[name].removeprefix("--").removeprefix("no-").replace("-", "_")


def flag_arguments(name: str) -> dict[str, Any]:
    """argparse's arguments for the flag of one ConvertOptions field, read from the field."""
    field = FIELDS[name]
    dest = flag_destination(name)
    help_text = field.metadata["help"]
    default = field.default
    if isinstance(default, bool):
        if default:
            off = field.metadata.get("off_help", f"do not {help_text}")
            return {"dest": dest, "action": "store_false", "help": f"{off} [default: on]"}
        return {"dest": dest, "action": "store_true", "help": help_text}
    if isinstance(default, tuple):  # a list: the flag is given once per item
        return {
            "dest": dest,
            "action": "append",
            "default": [],
            "metavar": ITEM_SPELLING[name],
            "help": f"{help_text}; repeat to stack several",
        }
    arguments: dict[str, Any] = {"dest": dest, "default": default}
    if "choices" in field.metadata:
        arguments["choices"] = list(field.metadata["choices"])
    else:
        arguments["type"] = type(default)
        arguments["metavar"] = dest.upper()
    shown = field.metadata.get("when_empty", default) if default == "" else default
    if name in OPTION_RANGES:
        low, high = OPTION_RANGES[name]
        shown = f"{shown}, from {_number(low)} to {_number(high)}"
    arguments["help"] = f"{help_text} [default: {shown}]"
    return arguments


def _number(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,g}"


def conversion_options(args: argparse.Namespace, resolve: bool = True) -> ConvertOptions:
    """ConvertOptions from the flags added by add_conversion_flags, resolved to a generator unless not `resolve`."""
    try:
        options = _options_from_flags(args)
        return options.resolved() if resolve else options
    except OptionError as error:  # name the flag the user typed, not the API's field
        flag = FLAG_NAMES.get(error.option)
        if not flag:
            raise
        raise OptionError(str(error).replace(error.option, flag, 1), option=error.option) from None


def _options_from_flags(args: argparse.Namespace) -> ConvertOptions:
    values: dict[str, Any] = {}
    for name in SHARED_FIELDS:
        value = getattr(args, flag_destination(name))
        values[name] = tuple(value) if isinstance(value, list) else value  # a repeated flag's items
    return ConvertOptions(**values)
