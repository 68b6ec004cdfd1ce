# The front door: `make run` serves the demo, `make test` runs the whole suite.
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
TMS    := $(VENV)/bin/tms
STAMP  := $(VENV)/.installed

.PHONY: install run test lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Migrate the SQLite database, load the demo carriers, serve the API and the scheduler on
## http://127.0.0.1:8000 (Ctrl-C stops both).
run: install
	$(TMS) db upgrade
	$(TMS) demo load
	$(TMS) run

## Static checks, then every test (TMS_TEST_DATABASE_URL picks the database; SQLite by default).
test: install lint
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check tms carriers solvers tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy carriers solvers tms tests/fakes.py

## Benchmarks: print tables and write bench/results.json.
bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
