PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.dev-installed
# Bytecode for our sources, compiled ahead: an editable install run with
# PYTHONDONTWRITEBYTECODE would otherwise compile every module on every run.
# -f: compileall alone trusts a .pyc whose source has the same mtime second, while
# the import also compares sizes and compiles the source again on every run.
# cnncost.bundle: the same bytecode in one file, which the script imports from.
BYTECODE := $(VENV)/.bytecode
SOURCES  := $(wildcard cnncost/*.py cnncost/*/*.py)

.PHONY: demo test bench fuzz golden clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e . --config-settings editable_mode=compat
	touch $(STAMP)

# torch==2.13.0 is a CPU build that pip installs from this machine's disk.
$(DEVSTAMP): $(STAMP)
	$(BIN)/pip install -q -e '.[dev]' --config-settings editable_mode=compat
	touch $(DEVSTAMP)

$(BYTECODE): $(STAMP) $(SOURCES)
	$(BIN)/python -m compileall -f -q cnncost
	$(BIN)/python -m cnncost.bundle
	touch $(BYTECODE)

demo: $(STAMP) $(BYTECODE)
	$(BIN)/cnncost analyze he2015-a

test: $(DEVSTAMP) $(BYTECODE)
	$(BIN)/python -m pytest

golden: $(DEVSTAMP)
	$(BIN)/python -m pytest tests/test_golden.py tests/test_docs.py --regen-golden

fuzz: $(DEVSTAMP)
	CNNCOST_FUZZ_EXAMPLES=20000 $(BIN)/python -m pytest tests/test_fuzz.py

bench: $(STAMP) $(BYTECODE)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
