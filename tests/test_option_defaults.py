"""Each option's default is written once, in its dataclass; everything else reads it from there.

A default restated elsewhere (a CLI flag, a form field, the studio page, the Blender add-on)
drifts the day the dataclass changes, so the sources are read for one, without running them.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

from lift3d.api import OPTION_RANGES, ConvertOptions
from lift3d.asset import AssetOptions
from lift3d.cli_flags import FLAG_NAMES
from lift3d.inputs import CutoutOptions
from lift3d.reconstruct import ReconstructOptions

SOURCE = Path(__file__).resolve().parents[1] / "src" / "lift3d"
STAGE_OPTIONS = (AssetOptions, CutoutOptions, ReconstructOptions)
# Where ConvertOptions offers a stage's field under another name.
OFFERED_AS = {"size_px": "cutout_px"}
# The parts that offer the options to people: each must read the defaults, never write them.
FRONT_ENDS = ("cli.py", "cli_flags.py", "batch", "serve", "blender")
# Other options that happen to share a name and a default with a conversion option.
OWN_OPTIONS = {
    ("cli.py", "seed"): "`lift3d data synth --seed` and `lift3d train --seed`: seeds of data and training",
}


def load_addon() -> object:
    spec = importlib.util.spec_from_file_location("lift3d_addon_copy", SOURCE / "blender" / "lift3d_addon.py")
    addon = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(addon)  # type: ignore[union-attr]
    return addon


def spelling(name: str) -> str:
    """'--no-delight' -> 'delight', 'Texture Size' -> 'texture_size'."""
    return name.strip().lower().removeprefix("--").removeprefix("no-").replace("-", "_").replace(" ", "_")


def option_names() -> dict[str, set[str]]:
    """Every name an option goes by: its field's, its flag's, the server form's and the add-on's."""
    names: dict[str, set[str]] = {}
    for options in (ConvertOptions, *STAGE_OPTIONS):
        for field in dataclasses.fields(options):
            names.setdefault(OFFERED_AS.get(field.name, field.name), set()).add(field.name)
    for field, flag in FLAG_NAMES.items():
        names[field].add(spelling(flag))
    for form_name, field in load_addon().OPTION_FIELDS.items():  # type: ignore[attr-defined]
        names[field].add(form_name)
    return names


def declared_defaults() -> dict[str, object]:
    """Each option's default, by its ConvertOptions name; a stage field's is the stage's (api.stage_field)."""
    defaults: dict[str, object] = {}
    for options in (*STAGE_OPTIONS, ConvertOptions):
        for field in dataclasses.fields(options):
            if field.default is not dataclasses.MISSING:
                defaults.setdefault(OFFERED_AS.get(field.name, field.name), field.default)
    return defaults


def same_literal(value: object, default: object) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return value is default
    if isinstance(default, str) or isinstance(value, str):
        return value == default and default != ""
    return isinstance(value, int | float) and isinstance(default, int | float) and value == default


def constant(node: ast.AST | None) -> object:
    return node.value if isinstance(node, ast.Constant) else dataclasses.MISSING


def python_declarations(tree: ast.AST) -> Iterator[tuple[int, str, object]]:
    """(line, name, literal) of every place the file gives a named thing a default literal."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:  # a field: `faces: int = 20000` or `Field(20000, ...)`, `default=20000`
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    value = item.value
                    if isinstance(value, ast.Call):
                        given = [kw.value for kw in value.keywords if kw.arg == "default"] + value.args[:1]
                        value = given[0] if given else None
                    yield item.lineno, item.target.id, constant(value)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args.posonlyargs + node.args.args
            for argument, default in zip(
                arguments[len(arguments) - len(node.args.defaults) :], node.args.defaults, strict=True
            ):
                yield node.lineno, argument.arg, constant(default)
            for argument, default in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True):
                yield node.lineno, argument.arg, constant(default)
        elif isinstance(node, ast.Call):
            defaults = [kw.value for kw in node.keywords if kw.arg == "default"]
            if defaults:  # add_argument("--faces", default=...), IntProperty(name="Faces", default=...)
                labels = [constant(arg) for arg in node.args] + [
                    constant(kw.value) for kw in node.keywords if kw.arg in ("dest", "name")
                ]
                for label in labels:
                    if isinstance(label, str):
                        yield node.lineno, spelling(label), constant(defaults[0])
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(constant(key), str):
                    yield node.lineno, str(constant(key)), constant(value)


def page_declarations(text: str) -> Iterator[tuple[int, str, object]]:
    """(line, name, literal) of HTML inputs with a value and of JS `name: literal` / `name = literal`."""
    for number, line in enumerate(text.splitlines(), 1):
        for tag in re.findall(r"<input[^>]*>", line):
            name = re.search(r'\b(?:id|name)="([\w-]+)"', tag)
            for attribute in re.findall(r'\b(?:value|min|max)="([^"]*)"', tag):
                if name:
                    yield number, name.group(1), _number_or_text(attribute)
        for name, literal in re.findall(r"\b(\w+)\s*(?::|=(?!=))\s*(-?[\d.]+|\"[^\"]*\")", line):
            yield number, name, _number_or_text(literal.strip('"'))


def _number_or_text(text: str) -> object:
    try:
        return float(text)
    except ValueError:
        return text


def front_end_files() -> list[Path]:
    return sorted(
        path
        for part in FRONT_ENDS
        for path in ([SOURCE / part] if (SOURCE / part).is_file() else (SOURCE / part).rglob("*"))
        if path.suffix in (".py", ".js", ".html") and "vendor" not in path.parts
    )


def test_no_front_end_restates_an_option_default() -> None:
    """The CLI, batch, the server, the studio page and the Blender add-on read every default."""
    names, defaults = option_names(), declared_defaults()
    owner = {name: option for option, spellings in names.items() for name in spellings}
    restated = []
    for path in front_end_files():
        text = path.read_text()
        found = python_declarations(ast.parse(text)) if path.suffix == ".py" else page_declarations(text)
        for line, name, literal in found:
            option = owner.get(name)
            where = str(path.relative_to(SOURCE))
            if option and same_literal(literal, defaults[option]) and (where, name) not in OWN_OPTIONS:
                restated.append(f"{where}:{line} writes the default of {option} ({literal!r}) as {name}")
    assert restated == []


def test_no_number_default_is_written_beside_its_name() -> None:
    """Anywhere in src: a statement or page line holding an option's name and its default number.

    0 and 1 are left to the test above: every file writes them for other reasons.
    """
    names, defaults = option_names(), declared_defaults()
    numbers = {
        option: value
        for option, value in defaults.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and value not in (0, 1)
    }
    assert {"max_faces", "texture_px", "cutout_px", "grid_px", "crease_angle_deg"} <= set(numbers)
    restated = []
    for path in sorted(SOURCE.rglob("*")):
        if path.suffix not in (".py", ".js", ".html") or "vendor" in path.parts:
            continue
        text = path.read_text()
        if path.suffix == ".py":
            tree = ast.parse(text)
            own = _dataclass_lines(tree, path)
            for statement in (node for node in ast.walk(tree) if isinstance(node, ast.stmt)):
                if isinstance(statement, ast.ClassDef) or statement.lineno in own:
                    continue
                words, literals = _words_and_literals(statement)
                for option, value in numbers.items():
                    if names[option] & words and any(same_literal(literal, value) for literal in literals):
                        restated.append(
                            f"{path.relative_to(SOURCE)}:{statement.lineno} writes {option}'s {value!r}"
                        )
        else:
            for number, line in enumerate(text.splitlines(), 1):
                words = set(re.findall(r"[A-Za-z_]\w*", line))
                literals = [
                    _number_or_text(item) for item in re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", line)
                ]
                for option, value in numbers.items():
                    if names[option] & words and any(same_literal(literal, value) for literal in literals):
                        restated.append(f"{path.relative_to(SOURCE)}:{number} writes {option}'s {value!r}")
    assert restated == []


def _dataclass_lines(tree: ast.AST, path: Path) -> set[int]:
    """The field lines of the option dataclasses in this file, where the defaults are declared."""
    classes = {
        options.__name__
        for options in (ConvertOptions, *STAGE_OPTIONS)
        if Path(importlib.util.find_spec(options.__module__).origin).resolve() == path.resolve()  # type: ignore[arg-type, union-attr]
    }
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name in classes:
            for item in node.body:
                lines.update(range(item.lineno, (item.end_lineno or item.lineno) + 1))
    return lines


def _words_and_literals(statement: ast.stmt) -> tuple[set[str], list[object]]:
    """The names and constants of a statement, leaving out the statements nested in it (a def's body)."""
    words: set[str] = set()
    literals: list[object] = []
    stack = [child for child in ast.iter_child_nodes(statement) if not isinstance(child, ast.stmt)]
    if isinstance(statement, ast.AnnAssign | ast.Assign):
        stack += [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            words.add(node.id)
        elif isinstance(node, ast.Attribute):
            words.add(node.attr)
        elif isinstance(node, ast.keyword) and node.arg:
            words.add(node.arg)
        elif isinstance(node, ast.Constant):
            literals.append(node.value)
            if isinstance(node.value, str):
                words.update(spelling(word) for word in re.findall(r"[\w-]+", node.value))
        stack += [child for child in ast.iter_child_nodes(node) if not isinstance(child, ast.stmt)]
    return words, literals


# `20000` once in src, as the issue asks; the other places it appears mean something else.
FACE_BUDGET_ELSEWHERE = {
    "rig/build.py": "a comment: the held-out rig test sets start at seed 20000",
    "inputs/segment.py": "a cap on the outline points sampled, not a face count",
    "weights/shape-diffusion/README.md": "the training command's data set size (--n 20000)",
}


def test_the_face_budget_literal_is_written_once_in_src() -> None:
    default = AssetOptions.max_faces
    pattern = re.compile(rf"(?<![\w.]){default // 1000}_?{default % 1000:03d}(?![\w.])")
    places = []
    for path in sorted(SOURCE.rglob("*")):
        if (
            not path.is_file()
            or "vendor" in path.parts
            or path.suffix not in (".py", ".js", ".html", ".md", ".json")
        ):
            continue
        count = len(pattern.findall(path.read_text(errors="replace")))
        where = str(path.relative_to(SOURCE))
        if count and where not in FACE_BUDGET_ELSEWHERE:
            places += [where] * count
    assert places == ["asset/options.py"]  # once, in one file (a line number breaks on every edit above it)


def test_the_blender_addon_reads_lift3d_defaults_and_ranges() -> None:
    """In Blender with lift3d installed, the panel shows ConvertOptions' defaults and OPTION_RANGES."""
    addon = load_addon()
    shown = addon.lift3d_options()  # type: ignore[attr-defined]
    for name, field in addon.OPTION_FIELDS.items():  # type: ignore[attr-defined]
        low, high = OPTION_RANGES[field]
        assert shown[name] == {"default": getattr(ConvertOptions, field), "minimum": low, "maximum": high}
