# ohmsk — `make report` and `make test` work on a fresh Debian 12 with python3 (3.11+) on PATH.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
AXE    := tests/a11y/node_modules/.installed
# DATA=path: read (report, audit, bench) or write (raw) the .sav files somewhere other than raw/
DATA   ?=

# kaleido 1.x (choreographer) uses the browser named by BROWSER_PATH before searching PATH.
# Pin Debian's chromium when present. On the very first run of a fresh machine setup installs it
# after this line was read; choreographer then finds /usr/bin/chromium on PATH all the same.
ifneq ($(wildcard /usr/bin/chromium),)
export BROWSER_PATH ?= /usr/bin/chromium
endif
RUN = $(PY) -m pipeline.cli

.DEFAULT_GOAL := help
.PHONY: help setup os-deps raw report audit test bench clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-zA-Z_-]*:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  options: DATA=path (folder of .sav files), PYTHON=python3.11"

setup: os-deps $(STAMP) $(AXE) ## OS packages (as root), .venv, the Python packages in pyproject.toml, axe-core

os-deps:
	@$(PYTHON) pipeline/bootstrap.py

$(VENV)/pyvenv.cfg: | os-deps
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml $(VENV)/pyvenv.cfg | os-deps
	$(PY) -m pip install --disable-pip-version-check -e '.[test]'
	@touch $@

# axe-core (pinned in tests/a11y/package-lock.json) for the accessibility test
$(AXE): tests/a11y/package-lock.json | os-deps
	npm ci --prefix tests/a11y --no-audit --no-fund
	@touch $@

raw: setup ## regenerate the synthetic data in raw/ (DATA=path writes there instead)
	$(RUN) raw $(if $(DATA),--out $(DATA))

report: setup ## build outputs/report.html, report.pdf, csv/, figures/
	$(RUN) report $(if $(DATA),--data $(DATA))

audit: setup ## recompute every published statistic; writes outputs/audit.csv
	$(RUN) audit $(if $(DATA),--data $(DATA))

test: setup ## run the test suite (pytest)
	$(PY) -m pytest -q

bench: setup ## time a full build from clean and an unchanged rebuild
	$(RUN) bench $(if $(DATA),--data $(DATA))

clean: ## remove generated outputs (keeps outputs/README.md) and .pytest_cache
	[ ! -d outputs ] || find outputs -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
	rm -rf .pytest_cache
