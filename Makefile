# The two README commands. Everything else is an implementation detail of these.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint install browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## run: migrate, seed the demo, start web + Celery worker + beat (Ctrl-C stops all)
run: $(STAMP)
	$(PY) -m mentorship.devservices run

## test: ruff (lint and format), then the whole pytest suite against real PostgreSQL and Redis (and Debian's chromium)
test: $(STAMP) browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m mentorship.devservices test -- $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## browser: Debian's chromium for the Playwright tests (never a downloaded browser)
browser:
	@test -x /usr/bin/chromium || { \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq chromium >/dev/null 2>&1 || \
			{ apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; \
		else sudo apt-get install -y -qq chromium; fi; }

clean:
	rm -rf .devdata/test
