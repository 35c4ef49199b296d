# shareflow: `make run` runs the e2e suites on the embedded farm with a report;
# `make test` runs every test. Both create .venv/ and install what is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint sim

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt ci/system-deps
	./ci/system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

run: setup
	$(BIN)/shareflow run $(ARGS)

test: setup lint
	$(BIN)/pytest $(ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

sim: setup
	$(BIN)/shareflow sim $(ARGS)
