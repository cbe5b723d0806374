# Everything a fresh machine needs: each target creates its environments on first use.
PYTHON ?= python3
VENV := .venv
TARGET_JSONL_VENV := .venv-target-jsonl
MELTANO_VENV := .venv-meltano

TEST_TOOLS := TARGET_JSONL=$(CURDIR)/$(TARGET_JSONL_VENV)/bin/target-jsonl MELTANO=$(CURDIR)/$(MELTANO_VENV)/bin/meltano

.PHONY: demo test install clean

## demo: start the bundled Jira emulator, sync it into JSONL files, print a summary
demo: $(VENV)/.installed $(TARGET_JSONL_VENV)/.installed
	$(VENV)/bin/python -m tests.demo --target $(TARGET_JSONL_VENV)/bin/target-jsonl $(DEMO_ARGS)

## test: the whole suite (emulator, tap process, target-jsonl, Meltano)
test: $(VENV)/.installed $(TARGET_JSONL_VENV)/.installed $(MELTANO_VENV)/.installed
	$(TEST_TOOLS) $(VENV)/bin/python -m pytest $(PYTEST_ARGS)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

# Singer targets pin old libraries, so each gets its own environment.
$(TARGET_JSONL_VENV)/.installed:
	$(PYTHON) -m venv $(TARGET_JSONL_VENV)
	$(TARGET_JSONL_VENV)/bin/pip install --quiet target-jsonl==0.1.4
	touch $@

$(MELTANO_VENV)/.installed:
	$(PYTHON) -m venv $(MELTANO_VENV)
	$(MELTANO_VENV)/bin/pip install --quiet meltano==4.4.1
	touch $@

clean:
	rm -rf $(VENV) $(TARGET_JSONL_VENV) $(MELTANO_VENV) .demo
