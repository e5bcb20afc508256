# The two commands (see README): `make demo` and `make test`. Everything else is a step of theirs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGIN_PROJECTS := $(wildcard plugins/*/pyproject.toml)
# Every third-party package at the version the suite passed with (refresh: make constraints).
CONSTRAINTS := constraints.txt
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: demo test install lint benchmarks clean constraints translations

# Reinstall only when a project file changes: editable installs pick up code changes by themselves.
$(STAMP): pyproject.toml $(PLUGIN_PROJECTS) $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[test]' $(foreach p,$(PLUGIN_PROJECTS),-e $(dir $(p)))
	touch $(STAMP)

install: $(STAMP)

demo: install
	HUB_INSTANCE_PATH=demo-instance $(BIN)/hub demo --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	# The worked example is checked, not installed; tests/ holds the plugin_files contract type.
	PYTHONPATH=examples/hub-fridge:tests $(BIN)/lint-imports
	$(BIN)/mypy  # what it checks: [tool.mypy] in pyproject.toml

test: lint
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

benchmarks: install
	for b in benchmarks/[a-z]*.py; do $(BIN)/python -m benchmarks.$$(basename $$b .py) || exit 1; done

# The newest release of every dependency, resolved afresh in a scratch environment and
# written to constraints.txt. Then run make test, and commit both if it passes.
FRESH := $(VENV)-constraints
constraints:
	rm -rf $(FRESH) && $(PYTHON) -m venv $(FRESH)
	$(FRESH)/bin/python -m pip install --quiet --upgrade pip
	$(FRESH)/bin/python -m pip install --quiet '.[test]' $(foreach p,$(PLUGIN_PROJECTS),$(dir $(p)))
	{ sed -n '/^#/p' $(CONSTRAINTS); $(FRESH)/bin/python -m pip freeze | grep -v ' @ '; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	rm -rf $(FRESH) build $(foreach p,$(PLUGIN_PROJECTS),$(dir $(p))build)  # pip's in-tree builds

# Catalogues: every string marked in the core (babel.cfg) and in each plugin with a
# babel.cfg of its own goes into its .pot; each language's .po (the source of truth,
# where translators write) is brought up to date from it and compiled into the .mo the
# hub reads. The .mo files are committed, so an install, editable or not, needs no step.
# A new language: pybabel init -i hub/translations/messages.pot -d hub/translations -l LANG
PYBABEL := $(BIN)/pybabel
# Each catalogue: its babel.cfg's folder, the package it reads, its translations folder, its domain.
CATALOGUES := .,hub,hub/translations,messages $(foreach c,$(wildcard plugins/*/babel.cfg),$(patsubst %/,%,$(dir $(c))),$(patsubst %/,%,$(dir $(c)))/hub_$(notdir $(patsubst %/,%,$(dir $(c)))),$(patsubst %/,%,$(dir $(c)))/hub_$(notdir $(patsubst %/,%,$(dir $(c))))/translations,$(notdir $(patsubst %/,%,$(dir $(c)))))
translations: install
	for catalogue in $(CATALOGUES); do \
	  set -- $$(echo $$catalogue | tr , ' '); cfg=$$1 package=$$2 folder=$$3 domain=$$4; \
	  $(PYBABEL) -q extract -F $$cfg/babel.cfg -k lazy_gettext -k _l -k N_ --no-location \
	    --ignore-dirs='federation skeleton' -o $$folder/$$domain.pot $$package || exit 1; \
	  $(PYBABEL) -q update --no-fuzzy-matching --ignore-obsolete \
	    -i $$folder/$$domain.pot -d $$folder -D $$domain || exit 1; \
	  $(PYBABEL) compile --statistics -d $$folder -D $$domain || exit 1; \
	done

clean:
	rm -rf $(VENV) $(FRESH) demo-instance
