# Instruction Tuning Labs — every command a student or instructor needs. Run `make help` for the list.
# The virtual environment .venv/ is created on first use and refreshed when pyproject.toml or constraints.txt change.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export TOKENIZERS_PARALLELISM := false
JUPYTER_ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: help setup lab lab-headless test unit notebooks labs check-labs solutions assets clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

$(STAMP): pyproject.toml constraints.txt
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[lab,test]'
	@touch $(STAMP)

setup: $(STAMP)  ## create .venv/ (only if missing or outdated) and install the course into it

lab: $(STAMP)  ## set up, then open JupyterLab on labs/ in your browser
	$(BIN)/jupyter lab $(JUPYTER_ROOT_FLAG) labs/

lab-headless: $(STAMP)  ## set up, then start JupyterLab without a browser (remote machines: open the printed URL)
	$(BIN)/jupyter lab --no-browser --ip=127.0.0.1 --port=8888 $(JUPYTER_ROOT_FLAG) labs/

test: $(STAMP)  ## set up, then run every test: lint, lab drift check, unit tests, every solution notebook and every lab unsolved (nbval; two workers, one thread each)
	$(BIN)/ruff check .
	$(BIN)/python tools/make_labs.py --check
	rm -rf outputs/labs
	OMP_NUM_THREADS=1 ITL_STRICT_CHECKS=1 ITL_PROFILE=offline $(BIN)/python -m pytest tests solutions labs --nbval-lax --nbval-cell-timeout=900 -p no:randomly -n 2 --dist loadgroup
	$(BIN)/python tools/compare_results.py

unit: $(STAMP)  ## only the unit tests (fast)
	$(BIN)/python -m pytest tests -q

labs:  ## regenerate labs/ from solutions/ (after editing a solution notebook)
	$(BIN)/python tools/make_labs.py

check-labs:  ## fail if labs/ is not what solutions/ generates
	$(BIN)/python tools/make_labs.py --check

solutions: $(STAMP)  ## instructors: execute every solution notebook (offline profile) into outputs/, with a results summary
	ITL_STRICT_CHECKS=1 ITL_PROFILE=offline $(BIN)/python tools/run_solutions.py

assets: $(STAMP)  ## rebuild data/ and models/ from the generators (about 30 minutes on 2 CPU cores)
	$(BIN)/python tools/generate_data.py
	$(BIN)/python tools/build_models.py

clean:  ## remove outputs/ (executed notebooks, trained models); keeps .venv/
	rm -rf outputs
