# ohmsk — `make report` and `make test` work on a fresh Debian 12 with python3 (3.11+) on PATH.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
AXE    := tests/a11y/node_modules/.installed
PLOTLYJS := templates/static/vendor/node_modules/.installed
WEBCHECKS := tests/web/node_modules/.installed
# DATA=path: read (report, audit, bench) or write (raw) the .sav files somewhere other than raw/
# OUT=path: write the outputs somewhere other than outputs/; SPECS=path: read another copy of survey_specs/
# RESTRICTED=1: report also writes the unsuppressed figures to OUT/restricted/ (never publish it)
DATA   ?=
OUT    ?=
SPECS  ?=
RESTRICTED ?=
# DRAFT=1: report marks (and lists) claims whose condition fails on the data instead of stopping
DRAFT  ?=
SEED   ?=
UPGRADE ?=

# Charts are drawn to SVG by the Chromium named by BROWSER_PATH, else the chromium on PATH
# (pipeline/output/svg.py). Pin Debian's when present; on the very first run of a fresh machine setup
# installs it after this line was read, and it is then found on PATH all the same.
ifneq ($(wildcard /usr/bin/chromium),)
export BROWSER_PATH ?= /usr/bin/chromium
endif
RUN = $(PY) -m pipeline.cli
FROM = $(if $(DATA),--data $(DATA)) $(if $(SPECS),--specs $(SPECS))
TO   = $(if $(OUT),--out $(OUT))

.DEFAULT_GOAL := help
.PHONY: help setup os-deps raw validate report tabs audit test check test-slow test-all lint lock bench schema stress-wave r-reference clean lighthouse screenshots

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-zA-Z_-]*:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  options: DATA=path (folder of .sav files), OUT=path (outputs), SPECS=path (specs), PYTHON=python3.11,"
	@echo "           RESTRICTED=1 (report: also the unsuppressed figures, in OUT/restricted/; never publish them)"
	@echo "           DRAFT=1 (report: mark claims that do not hold on the data, and list them, instead of stopping)"
	@echo "           SEED=n (stress-wave: which wave; OUT= is where it is written, default stress-wave-SEED/)"

setup: os-deps $(STAMP) $(AXE) $(PLOTLYJS) ## OS packages (as root), .venv, the Python packages in requirements.lock, axe-core, plotly.js

os-deps:
	@$(PYTHON) pipeline/tools/bootstrap.py

$(VENV)/pyvenv.cfg: | os-deps
	$(PYTHON) -m venv $(VENV)

# every Python package at the version in requirements.lock (so two machines build byte-identical
# outputs), then ohmsk itself without resolving anything again
$(STAMP): requirements.lock pyproject.toml $(VENV)/pyvenv.cfg | os-deps
	$(PY) -m pip install --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --disable-pip-version-check --no-deps -e .
	@touch $@

# axe-core (pinned in tests/a11y/package-lock.json) for the accessibility test
$(AXE): tests/a11y/package-lock.json | os-deps
	npm ci --prefix tests/a11y --no-audit --no-fund
	@touch $@

# the web report's partial plotly.js (pinned in templates/static/vendor/package-lock.json to the
# plotly.js version the Python plotly package draws for; pipeline/output/web_assets.py checks it)
$(PLOTLYJS): templates/static/vendor/package-lock.json | os-deps
	npm ci --prefix templates/static/vendor --no-audit --no-fund
	@touch $@

# Lighthouse 12 (with the puppeteer-core it brings), for `make lighthouse` and `make screenshots` only
$(WEBCHECKS): tests/web/package-lock.json | os-deps
	npm ci --prefix tests/web --no-audit --no-fund
	@touch $@

raw: setup ## regenerate the synthetic data in raw/ (DATA=path writes there instead)
	$(RUN) raw $(if $(DATA),--out $(DATA))

validate: setup ## check every spec and data file as report does, building nothing (DATA=, SPECS=)
	$(RUN) validate $(FROM)

report: setup ## build outputs/report.html, report.pdf, csv/, figures/
	$(RUN) report $(FROM) $(TO) $(if $(RESTRICTED),--restricted) $(if $(DRAFT),--draft)

tabs: setup ## build outputs/data_tables.csv alone: every question by its survey's banner (DATA=, OUT=, SPECS=)
	$(RUN) tabs $(FROM) $(TO)

audit: setup ## recompute every published statistic; writes outputs/audit.csv
	$(RUN) audit $(FROM) $(TO)

# test tiers (tests/conftest.py): `build` marks tests that build something, `slow` the slow tier
test: setup ## run the test suite but its slow tier (pytest; one shared build, a few minutes)
	$(PY) -m pytest -q

check: setup ## the quick tests for the edit-test loop: none that builds (under a minute)
	$(PY) -m pytest -q -m "not build and not slow"

test-slow: setup ## the slow tier alone: many builds, all 20 stress-wave seeds
	$(PY) -m pytest -q -m slow

test-all: setup ## every test, both tiers (as CI runs them)
	$(PY) -m pytest -q -m "slow or not slow"

lint: setup ## ruff (lint and format), mypy and the layers' import contract, as CI runs them
	$(VENV)/bin/ruff check pipeline tests
	$(VENV)/bin/ruff format --check pipeline tests
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

lock: setup ## pin a dependency added to pyproject.toml in requirements.lock (UPGRADE=1: move all to their newest)
	$(VENV)/bin/pip-compile --quiet --extra test --extra bench --extra lint --strip-extras --no-emit-index-url \
		--no-emit-find-links $(if $(UPGRADE),--upgrade) -o requirements.lock pyproject.toml

bench: setup ## time full, unchanged and one-table builds, and the engine at 1,000,000 respondents
	$(RUN) bench $(FROM)

# R survey's results on the api samples, which tests/test_survey_reference.py checks the engine against
r-reference: ## recompute tests/fixtures/api/expected.csv with R survey (installs r-base-core r-cran-survey as root)
	@Rscript -e 'library(survey)' >/dev/null 2>&1 || apt-get install -y --no-install-recommends r-base-core r-cran-survey \
		|| { apt-get update && apt-get install -y --no-install-recommends r-base-core r-cran-survey; }
	Rscript tests/fixtures/api/make_expected.R

schema: setup ## rewrite the JSON Schemas of the spec files (survey_specs/schemas/) from pipeline/spec/schema
	$(RUN) schema $(if $(SPECS),--out $(SPECS)/schemas)

stress-wave: setup ## write a plausible new wave of the data under SEED= to OUT= (DATA=, SPECS=)
	@test -n "$(SEED)" || { echo "make stress-wave needs SEED=n (e.g. make stress-wave SEED=3)"; exit 2; }
	$(RUN) stress-wave --seed $(SEED) --out $(or $(OUT),stress-wave-$(SEED)) $(FROM)

lighthouse: setup $(WEBCHECKS) ## Lighthouse scores of the built report (OUT=), served locally, mobile and desktop
	$(PY) tests/web/lighthouse.py $(or $(OUT),outputs)

screenshots: setup $(WEBCHECKS) ## every chart at 320 and 390 px wide into SHOTS= (default /tmp/ohmsk-shots), with the layout checks
	node tests/web/screenshots.js $(or $(OUT),outputs) $(or $(SHOTS),/tmp/ohmsk-shots) 320 390

clean: ## remove generated outputs (keeps outputs/README.md) and .pytest_cache
	[ ! -d outputs ] || find outputs -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
	rm -rf .pytest_cache
