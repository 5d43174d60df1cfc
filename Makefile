# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAMPLES := $(wildcard samples/*.png)

.PHONY: demo test lint bench bpy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

## demo: install, then convert every bundled sample into out/ (GLB + preview sheet)
demo: $(VENV)/.installed
	mkdir -p out
	for sample in $(SAMPLES); do \
		name=$$(basename $$sample .png); \
		$(BIN)/lift3d convert $$sample -o out/$$name.glb --preview out/$${name}_preview.png || exit 1; \
	done

## test: install with the dev extras, then run the whole test suite
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

## lint: ruff lint + format check and mypy
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src/lift3d

## bench: speed and memory of convert, per stage (prints a table, writes JSON)
bench: $(VENV)/.installed
	$(BIN)/python benchmarks/convert_speed.py

## bpy: Blender as a Python module (bpy from PyPI, about 400 MB, needs Python 3.11) in .venv-bpy;
## tests/blender imports every format with it, and skips saying so without it
BPY_VENV := .venv-bpy
BPY_PYTHON ?= python3.11
bpy: $(BPY_VENV)/.installed

$(BPY_VENV)/.installed:
	$(BPY_PYTHON) -m venv $(BPY_VENV)
	$(BPY_VENV)/bin/pip install --quiet 'bpy==5.0.1' 'numpy<2'
	touch $@

clean:
	rm -rf out .pytest_cache
