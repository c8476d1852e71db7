# The two set-up commands of the README: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv machine-run machine-test test lint run down status faults faults-full bench clean

venv: $(STAMP)

# Debian packages and the cached kube-apiserver (built once); quick and silent about apt when all is present.
# Stdlib only, run by the system Python before the venv exists: hence PYTHONPATH instead of an install.
machine-run:
	PYTHONPATH=devkit $(PYTHON) -m octavia_lb_devkit.controlplane.machine run

machine-test:
	PYTHONPATH=devkit $(PYTHON) -m octavia_lb_devkit.controlplane.machine test

$(STAMP): pyproject.toml devkit/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]' -e ./devkit
	touch $(STAMP)

# ruff; the architecture's import contracts ([tool.importlinter]); mypy --strict ([tool.mypy]).
lint: venv
	$(PY) -m ruff check octavia_lb devkit tests bench
	$(VENV)/bin/lint-imports --no-logo
	$(PY) -m mypy octavia_lb/common octavia_lb/webhook octavia_lb/worker

test: machine-test venv lint
	$(PY) -m pytest

run: machine-run venv
	$(PY) -m octavia_lb_devkit.localrun

down: venv
	$(PY) -m octavia_lb dev down

status: venv
	$(PY) -m octavia_lb dev status

# The fault suite also runs inside `make test`; these run it alone, and at the issue's full sizes.
faults: venv
	$(PY) -m pytest tests/faults -m faults

faults-full: venv
	FAULTS_SCALE=full $(PY) -m pytest tests/faults -m faults

bench: venv
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .mypy_cache .import_linter_cache
