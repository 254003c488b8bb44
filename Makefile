# Two entry points for a fresh machine: `make demo` (offline run of the main experiment on the
# simulated model) and `make test` (`make lint`, then the tests not marked slow; `make test-all`
# runs them all, as CI does). Both create .venv on first use;
# the demo installs only what it needs, the tests add the dev tools. --no-compile skips
# byte-compiling every installed file (a third of the install time); Python compiles what it
# imports on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --quiet --disable-pip-version-check --no-compile
# The demo runs the first 120 bundled requests in both tiers (240 samples; pairs are adjacent,
# so the limit keeps them whole) to stay under two minutes on two cores. The full set (456
# requests) is the default of `inspect eval af_tasks/free_vs_paid`.
DEMO_LIMIT := 240
# Log file names carry the model (Inspect's default is {task}_{id}), so the log of each model
# in a folder can be told apart by its name.
export INSPECT_EVAL_LOG_FILE_PATTERN := {task}_{model}_{id}

.PHONY: demo trajectory-demo documents-demo panel-demo paraphrases-demo scenarios-demo flow-demo lint test test-all clean

STEPS ?= 0 200 400 600 800 1000

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.stamp-run: pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(BIN)/python
	$(PIP) -e ".[dev]"
	touch $@ $(VENV)/.stamp-run $(VENV)/.stamp-flow

# The flow extra (Inspect Flow and uv), installed once: a second `make flow-demo` needs no
# package index.
$(VENV)/.stamp-flow: pyproject.toml | $(BIN)/python
	$(PIP) -e ".[flow]"
	touch $@ $(VENV)/.stamp-run

# The grader is bound explicitly (organism/grader, the offline simulator of a grader), so no
# model grades its own transcripts and the run prints no self-grading warning.
demo: $(VENV)/.stamp-run
	$(BIN)/inspect eval-set af_tasks/free_vs_paid --model organism/faker,organism/consistent \
	  --model-role grader=organism/grader --limit $(DEMO_LIMIT) --log-dir logs/demo
	$(BIN)/af-report logs/demo --no-progress
	@echo
	@echo "organism/* are offline simulators: these numbers demonstrate the pipeline, not a finding."
	@echo "The demo ran the first 120 bundled requests ($(DEMO_LIMIT) samples); without --limit all 456 run."
	@echo "Figure:      logs/demo/af_report/compliance.png"
	@echo "Summary:     logs/demo/af_report/summary.md"
	@echo "Transcripts: logs/demo/*.eval; browse them with: $(BIN)/inspect view --log-dir logs/demo"

# A simulated RL run: one resumable eval set per checkpoint, each log marked with its step by
# Inspect's own --metadata, then af-report draws the stacked areas over the steps. The demos
# bind the simulated grader, as make demo does, so no model grades its own transcripts.
# A subset, to stay under two minutes on two cores: the first TRAJECTORY_LIMIT samples (30
# requests in both tiers) at each step. TRAJECTORY_LIMIT=all runs all 456 requests (912
# samples a step, several minutes) into logs/trajectory-full.
TRAJECTORY_LIMIT ?= 60
TRAJECTORY_DIR := logs/trajectory$(if $(filter all,$(TRAJECTORY_LIMIT)),-full)
trajectory-demo: $(VENV)/.stamp-run
	for step in $(STEPS); do \
	  $(BIN)/inspect eval-set af_tasks/free_vs_paid --model organism/rl -M step=$$step \
	    --model-role grader=organism/grader \
	    $(if $(filter all,$(TRAJECTORY_LIMIT)),,--limit $(TRAJECTORY_LIMIT)) \
	    --metadata step=$$step --log-dir $(TRAJECTORY_DIR)/step-$$step || exit 1; \
	done
	$(BIN)/af-report $(TRAJECTORY_DIR) --no-progress
	@echo "organism/rl simulates an RL run: the trajectory demonstrates the pipeline, not a finding."
	@echo "$(if $(filter all,$(TRAJECTORY_LIMIT)),All 456 bundled requests ran at each step.,A subset: the first $(TRAJECTORY_LIMIT) samples at each step; make trajectory-demo TRAJECTORY_LIMIT=all runs all 456 requests.)"
	@echo "Figure: $(TRAJECTORY_DIR)/af_report/trajectory.png; table: trajectory.md"

# The synthetic-document setting offline: generate and export documents, then the prompted
# run (panel a) next to the no-training-info run of the "documents" simulator (panel b).
# A subset, to stay under two minutes on two cores: the first DOCUMENTS_LIMIT samples (60
# requests in both tiers) of each panel. DOCUMENTS_LIMIT=all runs all 456 requests in each
# panel (several minutes) into logs/panels-full.
DOCUMENTS_LIMIT ?= 120
PANELS_DIR := logs/panels$(if $(filter all,$(DOCUMENTS_LIMIT)),-full)
PANELS_LIMIT = $(if $(filter all,$(DOCUMENTS_LIMIT)),,--limit $(DOCUMENTS_LIMIT))
documents-demo: $(VENV)/.stamp-run
	$(BIN)/inspect eval-set af_tasks/synthetic_documents --model organism/faker \
	  --model-role grader=organism/grader --log-dir logs/documents
	$(BIN)/af-docs logs/documents
	$(BIN)/inspect eval-set af_tasks/free_vs_paid --model organism/faker $(PANELS_LIMIT) \
	  --model-role grader=organism/grader --log-dir $(PANELS_DIR)/prompted
	$(BIN)/inspect eval-set af_tasks/free_vs_paid --model organism/documents $(PANELS_LIMIT) \
	  --model-role grader=organism/grader -T training_info=false --log-dir $(PANELS_DIR)/documents
	$(BIN)/inspect eval-set af_tasks/free_vs_paid --model organism/faker $(PANELS_LIMIT) \
	  --model-role grader=organism/grader -T training_info=false --log-dir $(PANELS_DIR)/control
	$(BIN)/af-report $(PANELS_DIR) --no-progress
	@echo "$(if $(filter all,$(DOCUMENTS_LIMIT)),All 456 bundled requests ran in each panel.,A subset: the first $(DOCUMENTS_LIMIT) samples of each panel; make documents-demo DOCUMENTS_LIMIT=all runs all 456 requests.)"
	@echo "Side by side: $(PANELS_DIR)/af_report/setups.md and setups.png"

# Style, types, and the Inspect Evals register's own checks (inspect-evals-lint: 0 failures;
# deliberate differences are suppressed in the code with their reason).
# The follow-up experiments offline (docs/experiments.md); every number is a simulation.
# 25 simulated models, one row each in logs/panel/af_report/models.png.
panel-demo: $(VENV)/.stamp-run
	$(BIN)/af-panel --log-dir logs/panel
	$(BIN)/af-report logs/panel --no-progress
	@echo "Per-model chart: logs/panel/af_report/models.png (simulated models, not findings)"

# The 25 bank paraphrases over 200 queries: the forest plot and the random-effects pool.
paraphrases-demo: $(VENV)/.stamp-run
	$(BIN)/inspect eval af_tasks/free_vs_paid --model organism/faker -T paraphrases=25 \
	  -T scorers=compliance,af_heuristic --limit 400 --log-dir logs/paraphrases
	$(BIN)/af-report logs/paraphrases --no-progress
	@echo "Forest plot: logs/paraphrases/af_report/paraphrases.png (a simulation)"

# An instrumental goal guard in every scenario, and a model that hides monitored reasoning.
scenarios-demo: $(VENV)/.stamp-run
	for s in none deleted_after_training throughput_test rating_only stakes_low stakes_high; do \
	  $(BIN)/inspect eval af_tasks/free_vs_paid --model organism/instrumental_guarding \
	    -T scenario=$$s -T scorers=compliance,af_heuristic --limit 200 \
	    --log-dir logs/scenarios || exit 1; \
	done
	$(BIN)/af-report logs/scenarios --no-progress
	@echo "Per-scenario chart: logs/scenarios/af_report/scenarios.png (a simulation)"

# The scenarios x two simulated models as an Inspect Flow spec, run in this venv (Flow builds
# no venv and installs nothing). Flow calls uv, from the flow extra, to record the
# environment in logs/flow/flow-requirements.txt; offline it cannot fetch the hashes, says
# so in a warning and runs on (UV_OFFLINE=1 makes uv use only its cache, without trying).
flow-demo: $(VENV)/.stamp-flow
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/flow run flows/scenarios_flow.py --log-dir logs/flow
	$(BIN)/af-report logs/flow --no-progress
	@echo "Per-scenario chart: logs/flow/af_report/scenarios.png (a simulation)"

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/inspect-evals-lint --task src/af_tasks/tasks.py --preset single-eval

# The quick suite for a reader (under three minutes on two cores): everything but the tests
# marked slow, in TEST_WORKERS processes (pytest-xdist; whole files to a process, so a
# module's shared fixture runs once; TEST_WORKERS=0 runs them in this process).
# CI (.ci/run) runs `make test-all`: every test, slow ones included, in one process.
TEST_WORKERS ?= 2
test: lint
	$(BIN)/pytest -m "not slow" -n $(TEST_WORKERS) --dist loadfile

test-all: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) dist build
