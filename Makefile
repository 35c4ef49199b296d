# shareflow: `make run` runs the e2e suites on the embedded farm with a report;
# `make test` runs every test. Both create .venv/ and install what is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STACK := ci/appium/node_modules/.installed
REPORT := ci/report/node_modules/.installed

.PHONY: setup run test lint sim bench-vision bench-expect bench-stack bench-run soak

setup: $(STAMP) $(STACK) $(REPORT)

$(STAMP): pyproject.toml constraints.txt ci/system-deps
	./ci/system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

# Appium 3, its shareflow-farm driver and the Selenium Grid 4 jar, under ci/appium/
$(STACK): ci/setup-stack ci/appium/package.json ci/appium/package-lock.json ci/appium/shareflow-farm-driver/package.json
	./ci/setup-stack
	touch $@

# the Allure 3 CLI that builds the report, under ci/report/
$(REPORT): ci/setup-report ci/report/package.json ci/report/package-lock.json
	./ci/setup-report
	touch $@

# a pytest-xdist worker per phone unless ARGS has -n (ARGS="-n 0": one test at a time)
run: setup
	$(BIN)/shareflow run $(ARGS)

test: setup lint
	$(BIN)/pytest $(ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

sim: setup
	$(BIN)/shareflow sim $(ARGS)

# template matching: shareflow vs Airtest 1.4.3 on the farm's corpus (see benchmarks/README.md)
bench-vision: setup
	$(BIN)/python benchmarks/vision_accuracy.py $(ARGS)

# polling: from a screen appearing on the farm to expect() passing
bench-expect: setup
	$(BIN)/python benchmarks/expect_latency.py $(ARGS)

# the e2e suite over 1, 2 and 4 phones, embedded vs Appium vs Grid; per-command cost of each hop
bench-stack: setup
	$(BIN)/python benchmarks/stack_speed.py $(ARGS)

# the main job's wall time: a worker per phone against one test at a time, sessions kept against per test
bench-run: setup
	$(BIN)/python benchmarks/run_speed.py $(ARGS)

# the reporter's suites again and again under heavy noise (ARGS="--faults": under faults); see benchmarks/README.md
soak: setup
	$(BIN)/python benchmarks/soak.py $(ARGS)
