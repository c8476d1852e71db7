# The two set-up commands of the README: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv test lint run down status bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

lint: venv
	$(PY) -m ruff check octavia_lb tests bench

test: venv lint
	$(PY) -m pytest

run: venv
	$(PY) -m octavia_lb.localrun

down: venv
	$(PY) -m octavia_lb dev down

status: venv
	$(PY) -m octavia_lb dev status

bench: venv
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
