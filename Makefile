# Everything a fresh machine needs: each target creates its environments on first use.
PYTHON ?= python3
VENV := .venv
# Singer loaders pin old libraries, so each tool gets its own environment,
# installed from requirements/<tool>.txt (which says why each pin is there).
TOOLS := target-duckdb target-postgres target-jsonl meltano
TOOL_VENVS := $(foreach tool,$(TOOLS),.venv-$(tool)/.installed)

TEST_TOOLS := TARGET_JSONL=$(CURDIR)/.venv-target-jsonl/bin/target-jsonl \
	TARGET_DUCKDB=$(CURDIR)/.venv-target-duckdb/bin/target-duckdb \
	TARGET_POSTGRES=$(CURDIR)/.venv-target-postgres/bin/target-postgres \
	MELTANO=$(CURDIR)/.venv-meltano/bin/meltano

.PHONY: demo test lint install postgresql clean

## demo: start the bundled Jira emulator, sync it into a local DuckDB file, print a summary
demo: $(VENV)/.installed .venv-target-duckdb/.installed .venv-target-jsonl/.installed
	$(TEST_TOOLS) $(VENV)/bin/python -m tests.demo $(DEMO_ARGS)

## test: lint and type-check, then the whole suite (emulator, tap process, DuckDB, PostgreSQL, target-jsonl, Meltano)
test: lint $(TOOL_VENVS) postgresql
	$(TEST_TOOLS) $(VENV)/bin/python -m pytest $(PYTEST_ARGS)

## lint: ruff and mypy, as configured in pyproject.toml
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check tap_jira jira_emulator tests benchmarks plugin
	$(VENV)/bin/mypy

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

.venv-%/.installed: requirements/%.txt
	$(PYTHON) -m venv .venv-$*
	.venv-$*/bin/pip install --quiet -r $<
	touch $@

# The tests start their own throwaway PostgreSQL cluster from Debian's server binaries.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || { \
		echo "installing Debian's postgresql (server binaries for the tests' throwaway cluster)"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; }

clean:
	rm -rf $(VENV) $(foreach tool,$(TOOLS),.venv-$(tool)) .demo
