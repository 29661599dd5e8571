# Two commands on a fresh machine: `make mock` and `make test`. Each creates or
# refreshes .venv/ from pyproject.toml by itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# MOCK_HOST / MOCK_PORT from the environment count too (dayzero-mock reads every MOCK_* var).
HOST ?= $(or $(MOCK_HOST),127.0.0.1)
PORT ?= $(or $(MOCK_PORT),4010)
MOCK_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install constraints browser mock test contract proxy rules lint openapi dist clients bench soak clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  mock options: PORT HOST SEED CLOCK DATA_DIR WORLD LATENCY OPENAPI_DIR CORS_ORIGIN"
	@echo "                PUBLIC_BASE_URL (or MOCK_* env vars; more: MOCK_ARGS='--reload --quiet')"
	@echo "  contract options: BASE_URL TOKEN BUSINESS_ID OTHER_BUSINESS_ID SECOND_BUSINESS_ID MAX_EXAMPLES"
	@echo "                    SEED MAX_ROWS MAX_EXPIRY_WAIT JUNIT_XML (or CONTRACT_* env vars;"
	@echo "                    more: CONTRACT_ARGS='--rule §3.1 -x -v')"
	@echo "  proxy options: UPSTREAM PROXY_PORT JUNIT_XML REPORT RECORD (or PROXY_* env vars)"

# PYTHONWARNINGS silences the one note setuptools prints on every editable install that
# maps folders onto packages (openapi/ onto dayzero_twin.openapi, ...): that a folder
# named like the package could shadow it. No folder is named dayzero_twin.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	PYTHONWARNINGS='ignore:Editable installation' \
		$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create or refresh the virtual environment in .venv/

constraints: ## Pin the newest versions pyproject.toml allows into constraints.txt
	rm -rf build/constraints-venv
	$(PYTHON) -m venv build/constraints-venv
	build/constraints-venv/bin/python -m pip install --quiet --upgrade pip
	build/constraints-venv/bin/python -m pip install --quiet -e '.[dev]'
	{ head -n 3 constraints.txt; build/constraints-venv/bin/python -m pip freeze \
		--exclude-editable; } > build/constraints.txt && mv build/constraints.txt constraints.txt
	@echo "constraints.txt refreshed: run make test before committing it"

# The browser tests (tests/test_inspector_browser.py) drive Debian's Chromium through
# Playwright, which downloads no browser of its own. Installing it needs root and apt;
# without them this only warns, and those tests skip saying why.
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM

browser: ## Install Debian's Chromium for the browser tests when it is missing (root + apt)
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium with apt-get (for the browser tests)"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends chromium fonts-dejavu-core >/dev/null; } \
		|| { echo "make browser: apt-get could not install chromium; browser tests will skip" >&2; \
		     test -z "$$CI"; }; \
	else \
		echo "make browser: no $(CHROMIUM), and apt-get needs root; browser tests will skip" >&2; \
	fi

mock: $(STAMP) ## Run the mock server on http://127.0.0.1:4010 (PORT=, HOST= to change)
	$(BIN)/dayzero-mock --host $(HOST) --port $(PORT) \
		$(if $(SEED),--seed $(SEED)) $(if $(CLOCK),--clock $(CLOCK)) \
		$(if $(DATA_DIR),--data-dir $(DATA_DIR)) $(if $(WORLD),--world $(WORLD)) \
		$(if $(LATENCY),--latency $(LATENCY)) $(if $(OPENAPI_DIR),--openapi-dir $(OPENAPI_DIR)) \
		$(if $(CORS_ORIGIN),--cors-origin '$(CORS_ORIGIN)') \
		$(if $(PUBLIC_BASE_URL),--public-base-url $(PUBLIC_BASE_URL)) \
		$(MOCK_ARGS)

test: rules browser ## The rules of the house, then the project's tests (contract suite and browser included)
	$(BIN)/python -m pytest

contract: $(STAMP) ## Run the contract suite (BASE_URL=... TOKEN=... BUSINESS_ID=...; no BASE_URL: against a fresh mock)
	$(BIN)/dayzero-contract \
		$(if $(BASE_URL),--base-url $(BASE_URL)) $(if $(TOKEN),--token $(TOKEN)) \
		$(if $(BUSINESS_ID),--business-id $(BUSINESS_ID)) \
		$(if $(OTHER_BUSINESS_ID),--other-business-id $(OTHER_BUSINESS_ID)) \
		$(if $(SECOND_BUSINESS_ID),--second-business-id $(SECOND_BUSINESS_ID)) \
		$(if $(MAX_EXAMPLES),--max-examples $(MAX_EXAMPLES)) $(if $(SEED),--seed $(SEED)) \
		$(if $(MAX_ROWS),--max-rows $(MAX_ROWS)) \
		$(if $(MAX_EXPIRY_WAIT),--max-expiry-wait $(MAX_EXPIRY_WAIT)) \
		$(if $(JUNIT_XML),--junit-xml $(JUNIT_XML)) $(CONTRACT_ARGS)

proxy: $(STAMP) ## Checking proxy in front of UPSTREAM=URL on PROXY_PORT (4011); Ctrl-C writes reports
	@test -n "$(UPSTREAM)" || { echo "make proxy: UPSTREAM=https://... is required" >&2; exit 2; }
	$(BIN)/dayzero-contract proxy --upstream $(UPSTREAM) --port $(or $(PROXY_PORT),4011) \
		$(if $(JUNIT_XML),--junit-xml $(JUNIT_XML)) $(if $(REPORT),--report $(REPORT)) \
		$(if $(RECORD),--record $(RECORD)) $(PROXY_ARGS)

TYPECHECK := build/typecheck/dayzero_twin
PACKAGE_DIRS := openapi mock_server contract_tests docs

rules: $(STAMP) ## The rules of the house: ruff, the import layers (import-linter) and mypy
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	@mkdir -p $(TYPECHECK) && for d in $(PACKAGE_DIRS); do ln -sfn ../../../$$d $(TYPECHECK)/$$d; done
	$(BIN)/mypy -p dayzero_twin

lint: rules ## rules, then openapi-spec-validator and Redocly CLI over the bundled contract
	$(BIN)/dayzero-openapi --out build
	$(BIN)/python -m openapi_spec_validator build/openapi.json
	npx --yes @redocly/cli@2.77.0 lint build/openapi.yaml

openapi: $(STAMP) ## Write the bundled contract to build/openapi.json and build/openapi.yaml
	$(BIN)/dayzero-openapi --out build

# setuptools notes "byte-compiling is disabled" under PYTHONDONTWRITEBYTECODE; the wheel
# carries no bytecode either way.
dist: $(STAMP) ## Build the wheel and the sdist into dist/ (the wheel is built from the sdist)
	rm -rf dist
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m build --outdir dist .

clients: $(STAMP) ## Generate TypeScript and Python clients from the bundle, run them against a mock
	$(BIN)/python -m pytest -q tests/test_generated_clients.py

bench: $(STAMP) ## Benchmarks: the mock against Prism, bulk scaling, suite run time
	$(BIN)/python -m bench

soak: $(STAMP) ## Soak run: sustained upload+import load, RSS against the storage budget (SOAK_ARGS=)
	$(BIN)/python -m bench soak $(SOAK_ARGS)

clean: ## Remove the virtual environment and build output
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
