"""The arrows between parts run one way: a stage imports only earlier stages and the shared leaves.

Read with ast, without running anything, so a lazy import inside a function counts too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "lift3d"
# Shared leaves anyone may import; they import no part.
LEAVES = {"errors": 0, "types": 0, "camera": 0, "images": 0, "files": 0, "data": 1}
# The rig's plain data (Skeleton, Rig, Clip): like types.py, every part may import it.
SHARED_MODULES = ("lift3d.rig.skeleton",)
# Stages in pipeline order; rig comes after the asset it rigs.
STAGES = {"inputs": 2, "generate": 3, "reconstruct": 4, "asset": 5, "rig": 6, "export": 7}
# Above every stage: they may import stages, never the other way round.
ABOVE = {
    "provenance": 9,
    "pipelines": 10,
    "api": 10,
    "training": 11,
    "evaluate": 11,
    "cli_flags": 12,
    "cli": 13,
}
ABOVE |= {"serve": 13, "batch": 13, "blender": 13, "__init__": 14}
LEVEL = LEAVES | STAGES | ABOVE


def part_of(module: str) -> str:
    """lift3d.asset.bake -> asset; lift3d.api -> api."""
    return module.split(".")[1] if module.count(".") else "__init__"


def imports_of(path: Path, root: Path = SOURCE) -> list[str]:
    """Every lift3d module a file imports, at the top or inside a function."""
    package = "lift3d." + ".".join(path.relative_to(root).with_suffix("").parts)
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level)[0]
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.append(module)
            found += [f"{module}.{alias.name}" for alias in node.names if module == "lift3d"]
    return [name for name in found if name.startswith("lift3d.")]


def backward_arrows(root: Path = SOURCE) -> list[str]:
    arrows = []
    for path in sorted(root.rglob("*.py")):
        importer = part_of("lift3d." + ".".join(path.relative_to(root).with_suffix("").parts))
        for imported in imports_of(path, root):
            target = part_of(imported)
            if target == importer or target == "__init__" or imported.startswith(SHARED_MODULES):
                continue
            if importer not in LEVEL or target not in LEVEL:
                arrows.append(f"{path.relative_to(root)}: {imported} (a part with no place in the order)")
            elif LEVEL[target] > LEVEL[importer]:
                arrows.append(f"{path.relative_to(root)} imports {imported}")
    return arrows


def test_every_part_has_its_place_in_the_order() -> None:
    parts = {path.stem if path.is_file() else path.name for path in SOURCE.iterdir()}
    parts = {part for part in parts if not part.startswith((".", "_")) or part == "__init__"}
    parts -= {"weights", "py"}
    assert parts - set(LEVEL) - {"REAL_SET"} == set()


def test_no_arrow_runs_back_up() -> None:
    assert backward_arrows() == []


def test_the_walker_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    """An arrow back up hidden inside a function, or written relative, is still found."""
    stage = tmp_path / "asset"
    stage.mkdir()
    (stage / "sneaky.py").write_text(
        "def run():\n    from lift3d import api\n    from ..training import fit\n    from .bake import x\n"
    )
    assert backward_arrows(tmp_path) == [
        "asset/sneaky.py imports lift3d.api",
        "asset/sneaky.py imports lift3d.training",
    ]


def test_asking_whether_the_weights_exist_does_not_import_torch() -> None:
    """`lift3d convert --generator inflate` and the server's health check ask this; torch takes seconds."""
    code = (
        "import sys; from lift3d.generate.diffusion.weights import shipped_model_dir; shipped_model_dir(); "
        "from lift3d.api import default_generator; default_generator(); print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
