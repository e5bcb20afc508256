# The two commands (see README): `make demo` and `make test`. Everything else is a step of theirs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(wildcard plugins/*/pyproject.toml)
PORT ?= 5000

.PHONY: demo test install lint benchmarks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]' $(foreach p,$(PLUGINS),-e $(dir $(p)))

demo: install
	HUB_INSTANCE_PATH=demo-instance $(BIN)/hub demo --port $(PORT)

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=examples/hub-seedlibrary $(BIN)/lint-imports  # the worked example is checked, not installed
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

benchmarks: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) demo-instance
