# GenDisc Studio — `make run` opens the app, `make test` runs the checks. Both set everything up first.
#
# PyTorch is pinned to a CPU build by default (installs in seconds, runs everywhere). A GPU user picks a
# CUDA build, for example:
#     make run TORCH="torch==2.13.0" TORCH_INDEX=https://download.pytorch.org/whl/cu128
# Changing TORCH or TORCH_INDEX reinstalls torch on the next call; otherwise a second call installs nothing.

PYTHON      ?= python3
VENV        ?= .venv
TORCH       ?= torch==2.13.0
TORCH_INDEX ?=
ARGS        ?=

PY  := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
# stamp names carry a hash of what they installed, so a changed pin or pyproject triggers a reinstall
TORCH_TAG := $(shell printf '%s %s' '$(TORCH)' '$(TORCH_INDEX)' | cksum | cut -d' ' -f1)
PROJ_TAG  := $(shell cksum < pyproject.toml | cut -d' ' -f1)
STAMP_TORCH := $(VENV)/.stamp-torch-$(TORCH_TAG)
STAMP_RUN   := $(VENV)/.stamp-run-$(PROJ_TAG)
STAMP_TEST  := $(VENV)/.stamp-test-$(PROJ_TAG)
INDEX_OPT   := $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX),)

XDG_DATA_HOME ?= $(HOME)/.local/share
DESKTOP_DIR ?= $(shell xdg-user-dir DESKTOP 2>/dev/null || echo "$(HOME)/Desktop")

.PHONY: run test lint train bench clean-venv help install-desktop uninstall-desktop

help:
	@echo "make run    - set up .venv and open GenDisc Studio on the bundled MNIST sample"
	@echo "              (Linux needs a display and: libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0)"
	@echo "make test   - set up .venv and run ruff, the import layers and the test suite (GUI tests offscreen)"
	@echo "make train  - headless CNN training on the bundled sample (ARGS='...' for more options)"
	@echo "make bench  - run the performance scripts in bench/ and print their figures"
	@echo "make install-desktop / uninstall-desktop - add or remove the app in your menu and on your desktop"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP_TORCH): | $(PY)
	rm -f $(VENV)/.stamp-torch-*
	$(PIP) install $(INDEX_OPT) "$(TORCH)"
	touch $@

$(STAMP_RUN): pyproject.toml $(STAMP_TORCH)
	$(PIP) install -e .
	rm -f $(VENV)/.stamp-run-*
	touch $@

$(STAMP_TEST): pyproject.toml $(STAMP_RUN)
	$(PIP) install -e ".[test]"
	rm -f $(VENV)/.stamp-test-*
	touch $@

run: $(STAMP_RUN)
	@$(PY) -m gendisc.gui.shell.platform_check
	$(PY) main.py $(ARGS)

train: $(STAMP_RUN)
	$(PY) main.py train cnn --dataset mnist-sample --out runs/make-train $(ARGS)

test: $(STAMP_TEST)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q $(ARGS)

bench: $(STAMP_TEST)
	$(PY) bench/run_all.py

clean-venv:
	rm -rf $(VENV)

# A launcher in the user's menu (and on the desktop when there is one) that starts the app from this .venv;
# the same as `gendisc-studio --install-desktop` after `pipx install .`.
install-desktop: $(STAMP_RUN)
	XDG_DATA_HOME="$(XDG_DATA_HOME)" GENDISC_DESKTOP_DIR="$(DESKTOP_DIR)" $(VENV)/bin/gendisc-studio --install-desktop

uninstall-desktop:
	XDG_DATA_HOME="$(XDG_DATA_HOME)" GENDISC_DESKTOP_DIR="$(DESKTOP_DIR)" $(VENV)/bin/gendisc-studio --uninstall-desktop
