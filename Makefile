# Two commands for a fresh machine: `make run` and `make test`. Each installs what it needs.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
INSTALLED := $(VENV)/.installed
KAFKA_LIBS := .cache/kafka/libs
KAFKA_RESOLVED := .cache/kafka/.resolved
NODE_DIR := .cache/node
NODE_DRIVER := $(NODE_DIR)/.installed
APT_GET := $(if $(filter 0,$(shell id -u)),apt-get,sudo apt-get)

.PHONY: run run-cluster test lint format deps system-packages kafka browser-driver clean contract lock

run: deps  ## Start broker, Redis, worker and API; print a sample request.
	$(BIN)/lr dev

run-cluster: deps  ## The same on three Kafka nodes, replicated, with two workers (docs/cluster.md).
	$(BIN)/lr dev --cluster

test: deps lint  ## Lint, type-check and run the whole suite against the real broker and Redis.
	$(BIN)/pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Rewrite the committed API contract from the code: only for a change meant to be public
# (docs/security.md, "Contract"). tests/unit/test_contract.py fails on anything it breaks.
contract: $(INSTALLED)
	$(BIN)/python -m learning_record.api.contract docs/contract/openapi-v1.json

deps: system-packages $(INSTALLED) kafka browser-driver

# Java, Maven, redis-server, Chromium and Node (the dashboard's browser test) come from Debian's
# packages when missing.
system-packages:
	@missing=""; \
	command -v java >/dev/null || missing="$$missing openjdk-17-jre-headless"; \
	command -v mvn >/dev/null || missing="$$missing maven"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v node >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "==> installing from Debian:$$missing"; \
	  $(APT_GET) update -q && DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -q $$missing; \
	fi

$(INSTALLED): pyproject.toml constraints.txt
	@echo "==> creating $(VENV) and installing the package with its dev tools"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --progress-bar off pip
	$(BIN)/pip install --progress-bar off -c constraints.txt -e '.[dev]'
	touch $@

# Rewrite constraints.txt with the newest versions pyproject.toml allows, resolved in a
# virtualenv of its own; then run `make test` on them before committing the file.
lock:
	@echo "==> resolving the newest allowed versions into constraints.txt"
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --progress-bar off --upgrade pip
	.lock-venv/bin/pip install --progress-bar off '.[dev]'
	{ sed -n '1,2p' constraints.txt; .lock-venv/bin/pip freeze --exclude-editable \
		| grep -v -e '^#' -e '^learning-record-api'; } > constraints.new
	mv constraints.new constraints.txt
	rm -rf .lock-venv

# The broker's jars, resolved once from Maven Central into an ignored cache.
kafka: $(KAFKA_RESOLVED)
$(KAFKA_RESOLVED): deploy/kafka/pom.xml
	@echo "==> resolving Apache Kafka from Maven Central into $(KAFKA_LIBS)"
	rm -rf $(KAFKA_LIBS)
	mvn -B -ntp -f deploy/kafka/pom.xml dependency:copy-dependencies \
	  -DoutputDirectory=$(CURDIR)/$(KAFKA_LIBS) -DincludeScope=runtime
	touch $@

# playwright-core from npm drives Debian's Chromium in the dashboard test (no browser download).
browser-driver: $(NODE_DRIVER)
$(NODE_DRIVER): $(firstword $(MAKEFILE_LIST))
	@echo "==> installing playwright-core into $(NODE_DIR)"
	mkdir -p $(NODE_DIR)
	npm install --prefix $(NODE_DIR) --no-audit --no-fund --no-save playwright-core@1
	touch $@

clean:
	rm -rf .lr-data .pytest_cache .mypy_cache .ruff_cache

# Benchmarks: each prints progress and rewrites its own section of docs/benchmarks.md. The
# stream suite starts its own stacks (broker, Redis) and installs the peer (ralph-malph) in a
# virtualenv of its own under its temporary folder. `make bench BENCH_ARGS=--quick` runs the
# suite alone at small sizes once (a smoke test: its figures are not to be quoted).
BENCH_ARGS ?=
.PHONY: bench
bench: system-packages $(INSTALLED) kafka  ## Measure validation and the stream (docs/benchmarks.md).
	$(if $(filter --quick,$(BENCH_ARGS)),,$(BIN)/python -m bench.validation)
	$(BIN)/python -m bench.suite $(BENCH_ARGS)
	$(BIN)/python -m bench.hostile $(BENCH_ARGS)
	$(BIN)/python -m bench.ceiling $(BENCH_ARGS)
	$(if $(filter --quick,$(BENCH_ARGS)),,$(BIN)/python -m bench.process)
	$(BIN)/python -m bench.process_stream $(BENCH_ARGS)
	$(BIN)/python -m bench.sealing $(BENCH_ARGS)
