# tapegrad: `make demo` and `make test` set everything up themselves on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Parallel test workers (the CI machine has 2 cores).
WORKERS ?= 2

.PHONY: setup dot test docs demo bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# Debian's graphviz provides the `dot` binary the renderer needs.
dot:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "installing graphviz (dot)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq graphviz >/dev/null; }
	@command -v dot >/dev/null 2>&1 || { echo "ERROR: graphviz 'dot' is still missing" >&2; exit 1; }

setup: $(STAMP) dot

test: setup
	$(PY) -m pytest -n $(WORKERS) -q --timeout=900

# The documentation site (Sphinx, a dev dependency): API reference from the docstrings,
# docs/*.md and the notebooks; warnings are errors. Output: docs/_build/html/index.html
docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -q -b html docs/site docs/_build/html
	@echo "docs: docs/_build/html/index.html"

# `make demo` needs only the runtime dependencies (no PyTorch, no test tools): its own
# stamp, so a fresh clone is training within a minute or two.
DEMO_STAMP := $(VENV)/.installed-demo
$(DEMO_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP) dot
	$(PY) -m nn demo --out demo_out

bench: setup
	$(PY) -m benchmarks.run --out benchmarks/RESULTS.md

bench-quick: setup
	$(PY) -m benchmarks.run --quick

clean:
	rm -rf $(VENV) demo_out .pytest_cache docs/_build docs/site/_generated
