# Midstance: every target sets up what it needs by itself.
#   make demo   - venv, models, then the whole appliance on the sample clip (http://localhost:8080)
#   make test   - venv, models, reference env, browser, then the whole test suite
#   make bench  - speed and memory figures, measured side by side
#   make eval   - the judgement scored on the real corpus (build/corpus), table and build/eval.json
#   make stress - the same on the real data seen differently or given a fault of form
#                 (build/stress, build/stress.json), then the videos' landmarks with a pixel of
#                 noise (corpus/noise.py), the corpus's runners given faults of growing size
#                 (corpus/faults.py) and with the hip brought near the ankle (corpus/margins.py)
#   make lint   - ruff
#   make install - Raspberry Pi OS (Bookworm / Trixie), run as root on the Pi
#   make check-arm64 - make install and the pipeline in emulated arm64 Debian roots, vs x86

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
REF_VENV := .venv-ref
MODELS_DIR ?= $(HOME)/.cache/midstance/models
export MIDSTANCE_MODELS_DIR := $(abspath $(MODELS_DIR))
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: venv models refenv browser test demo bench eval stress lint install check-arm64 clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV_FLAGS) $(VENV)
	$(PIP) install -e '.[test]'
	touch $@

models: venv
	$(BIN)/midstance models fetch --dir "$(MIDSTANCE_MODELS_DIR)"

# MediaPipe's own Pose solution, the reference implementation, in its own environment
# (it wants numpy < 2 and protobuf < 5).
refenv: $(REF_VENV)/.installed

$(REF_VENV)/.installed: scripts/refenv-requirements.txt
	$(PYTHON) -m venv $(REF_VENV)
	$(REF_VENV)/bin/python -m pip --disable-pip-version-check -q install -r scripts/refenv-requirements.txt
	$(REF_VENV)/bin/python -m pip --disable-pip-version-check -q install --no-deps mediapipe==0.10.14
	touch $@

browser:
	bash scripts/ensure-chromium.sh

test: venv models refenv browser
	$(BIN)/python -m pytest

demo: venv models
	$(BIN)/midstance demo --port 8080

bench: venv models refenv
	$(BIN)/python -m bench

eval: venv models
	$(BIN)/python -m corpus build/corpus
	$(BIN)/midstance eval build/corpus --json build/eval.json

stress: venv models
	$(BIN)/python -m corpus build/corpus
	$(BIN)/python -m corpus build/stress --set stress
	$(BIN)/midstance eval build/stress --json build/stress.json
	$(BIN)/python -m corpus.noise build/corpus
	$(BIN)/python -m corpus.noise build/stress
	$(BIN)/python -m corpus.clock build/corpus --only 'clip*'
	$(BIN)/python -m corpus.faults build/corpus
	$(BIN)/python -m corpus.margins build/corpus

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

install:
	bash scripts/install-pi.sh

clean:
	rm -rf $(VENV) $(REF_VENV) build *.egg-info

# Install and run on emulated arm64 Debian Bookworm and Trixie (root; slow; not part of `test`)
check-arm64: venv models
	bash scripts/check-arm64.sh
