# TenantLine. The README's two commands: `make run` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
TL := $(VENV)/bin/tenantline
SPACY := var/spacy/en_tenantline/meta.json
export TF_CPP_MIN_LOG_LEVEL ?= 2
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1
export PYTHONDONTWRITEBYTECODE ?= 1
# No usage telemetry or crash reports leave a landlord's machine (and none can: there is no internet here).
export RASA_TELEMETRY_ENABLED ?= false

.PHONY: help install run test lint types unit validate train conversation-tests evaluate bench soak lock clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

install: $(VENV)/.tenantline-installed $(SPACY) ## Create .venv (Python 3.10, uv, requirements.lock) and build the spaCy pipeline

$(VENV)/.tenantline-installed: requirements.lock pyproject.toml scripts/bootstrap
	@scripts/bootstrap

$(SPACY): bot/nlp/build_spacy.py $(VENV)/.tenantline-installed
	@$(TL) build-spacy

run: install ## Run TenantLine with embedded defaults and demo data (Rasa :5005, actions :5055)
	@$(TL) run

test: install lint types unit validate train conversation-tests ## The whole suite, in CI order

lint: install ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: install ## mypy on our packages
	$(VENV)/bin/mypy

unit: install ## pytest without the trained model, in two workers (service layer, clocks, safety, actions, channels, console)
	$(VENV)/bin/pytest -q -m "not model" -n 2 --dist loadfile --durations=15

validate: install ## rasa data validate, failing on every warning that is not known noise
	@$(TL) validate

train: install ## Train the model unless config, domain and data are unchanged
	@$(TL) train

conversation-tests: train ## Conversation tests (tests/test_stories.yml), then the tests that use the trained model, in two workers (grouped by the servers they share: tests/conftest.py)
	$(PY) -m rasa test core --stories tests/test_stories.yml --model $$($(PY) -c 'from bot.training import model_path; print(model_path())') \
		--endpoints endpoints.yml --fail-on-prediction-errors --out results/core
	$(VENV)/bin/pytest -q -m model -n 2 --dist loadgroup --durations=30

bench: install ## Benchmarks: understanding, speed and memory, training; report in bench/results/latest/REPORT.md
	$(PY) -m bench $(BENCH_ARGS)

soak: install ## Production profile at a steady rate for TENANTLINE_SOAK_SECONDS (600), checking memory growth
	TENANTLINE_SOAK_SECONDS=$${TENANTLINE_SOAK_SECONDS:-600} $(VENV)/bin/pytest -q -s -m model tests/scale/test_soak.py

lock: ## Re-resolve requirements.in into requirements.lock
	$(VENV)/bin/uv pip compile -q -p $(PY) requirements.in -o requirements.lock

clean: ## Remove generated files (keeps .venv)
	rm -rf var models results .rasa .pytest_cache .mypy_cache .ruff_cache
