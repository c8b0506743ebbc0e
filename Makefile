# Two commands on a fresh machine:
#   make run   set everything up (system packages, virtualenv, database, demo data) and start the app
#   make test  set everything up and run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
# make run PORT=8080, or COSTING_BIND=0.0.0.0:8080 make run (the address printed on annexes follows it)
PORT ?= 5000

.PHONY: run dev test lint setup system-deps test-deps bench clean

run: setup
	$(PY) -m flask --app wsgi db upgrade
	$(PY) -m flask --app wsgi costing seed
	$(PY) -m flask --app wsgi costing demo
	bind=$${COSTING_BIND:-$(HOST):$(PORT)}; \
	  COSTING_PUBLIC_URL=$${COSTING_PUBLIC_URL:-http://$$bind} COSTING_BIND=$$bind $(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

# Flask's development server (reloads on change; one process): for working on the code only
dev: setup
	$(PY) -m flask --app wsgi db upgrade
	COSTING_PUBLIC_URL=$${COSTING_PUBLIC_URL:-http://$(HOST):$(PORT)} $(PY) -m flask --app wsgi run --debug --host $(HOST) --port $(PORT)

test: setup test-deps lint
	$(PY) -m pytest

# style and import sorting (ruff), and the architecture contracts in .importlinter (import-linter)
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

setup: system-deps $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

# what only the tests need (LibreOffice re-saves roster files as an office suite writes them)
test-deps:
	@bash scripts/system-deps.sh system-packages-test.txt

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

bench: setup
	$(PY) bench/engine.py

clean:
	rm -rf $(VENV) instance .pytest_cache
