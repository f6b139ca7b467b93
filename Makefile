# Two commands on a fresh machine: `make run` (the main job) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-slow lint notebooks bench browser clean docs docs-serve docs-gallery

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[nutpie]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/bayeszoo run

# Headless Chromium for the report's browser test; the test skips with the reason if absent.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) >/dev/null 2>&1 || \
	    echo "chromium could not be installed: the browser test will be skipped"; }

# The suite on two workers with one reference-value sampling run per fixture (marked reference);
# all the slow runs (about 25 minutes on two quiet cores) with `make test-slow`.
test: $(VENV)/.installed-test browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 -m "not slow or reference"

test-slow: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n 2 -m slow

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

notebooks: $(VENV)/.installed-test
	$(BIN)/python notebooks/run_all.py

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[bench]'
	touch $@ $(VENV)/.installed-run

# PyTorch (the peer of the nets benchmark) comes with the bench extra only.
bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/run_all.py

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[docs]'
	touch $@

# The documentation site into site/ (warnings are errors), after recomputing the REML checks
# the validation page shows (seconds; its sampling checks show what `make test` recorded) and
# fitting every zoo model whose gallery figures are not cached (NumPyro, 2 chains x 500 + 500,
# one spawned worker per core; cached per model and key in ~/.cache/bayeszoo/docs-gallery or
# $$BAYESZOO_DOCS_GALLERY_CACHE, so a rebuild refits only changed models). A failed fit fails it.
docs: $(VENV)/.installed-docs
	$(BIN)/python docs/sitegen/measure.py
	$(BIN)/python docs/sitegen/gallery_fit.py
	$(BIN)/python -m mkdocs build --strict --site-dir site

docs-serve: $(VENV)/.installed-docs
	$(BIN)/python -m mkdocs serve

# Only the gallery's figures (`make docs` makes them too): every model, or
# `make docs-gallery MODELS="radon_intercept mcycle_cr20"` for those.
docs-gallery: $(VENV)/.installed-docs
	$(BIN)/python docs/sitegen/gallery_fit.py $(MODELS)

clean:
	rm -rf $(VENV) report .pytest_cache
