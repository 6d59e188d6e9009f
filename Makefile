# schemareg: the two commands are `make run` and `make test`.
CARGO ?= cargo
WITH_PG := scripts/with-postgres.sh

.PHONY: run demo test test-registry test-corpus test-units bench lint fmt build fixtures openapi

build:
	$(CARGO) build --workspace

## run: the service on 127.0.0.1:8080 (a private PostgreSQL cluster for scratch databases)
run: build
	mkdir -p data
	./target/debug/schemareg serve

## demo: the service with LOG-158's dev, staging and production databases, a plan waiting for approval, and a token per role (nothing kept after it stops)
demo: build
	mkdir -p data
	./target/debug/schemareg serve --demo

## openapi: regenerate the committed OpenAPI document
openapi: build
	./target/debug/schemareg openapi > openapi/openapi.json

## test: every test, against a real PostgreSQL (started or found by scripts/with-postgres.sh)
test:
	$(WITH_PG) $(CARGO) test --workspace --no-fail-fast

## test-registry (one part of `make test`): the registry through its binary (HTTP, CLI, console, deployment files)
test-registry:
	$(WITH_PG) $(CARGO) test --workspace --test registry --no-fail-fast

## test-corpus (one part of `make test`): the plan corpus, every case verified in scratch databases
test-corpus:
	$(WITH_PG) $(CARGO) test --workspace --test corpus --no-fail-fast

## test-units (the rest of `make test`): the engine's, the adapters' and the binary's own tests, and the doc tests
test-units:
	$(WITH_PG) $(CARGO) test --workspace --lib --bins --test adapters --no-fail-fast
	$(CARGO) test --workspace --doc --no-fail-fast

## bench: introspection, live diff next to migra, diff + plan (1,000 and 10,000 tables), HTTP requests/s and p99, plan latency over HTTP, the drift watch, the console's pages (p99 against 50 ms), the registry at 1,000 services, and push latency
bench:
	$(CARGO) build --release --workspace --bins --benches
	$(WITH_PG) $(CARGO) bench -p schemareg --bench introspect
	$(WITH_PG) $(CARGO) bench -p schemareg --bench diff
	$(CARGO) bench -p schemareg --bench plan
	$(WITH_PG) $(CARGO) bench -p schemareg --bench http
	$(WITH_PG) $(CARGO) bench -p schemareg --bench plan_latency
	$(WITH_PG) $(CARGO) bench -p schemareg --bench drift_watch
	$(CARGO) bench -p schemareg --bench console
	$(WITH_PG) $(CARGO) bench -p schemareg --bench scale
	$(WITH_PG) $(CARGO) bench -p schemareg --bench push

## lint: formatting, clippy with warnings as errors, and no source file over 600 lines
lint:
	scripts/check-file-sizes.sh
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## fixtures: regenerate the LOG-158 models' DDL (needs sqlalchemy and psycopg2-binary)
fixtures:
	{ echo "-- The LOG-158 models as PostgreSQL DDL, printed by tests/fixtures/log158_models.py"; \
	  echo "-- (python models.py; SQLAlchemy 2). Regenerate with: make fixtures"; echo; \
	  python3 tests/fixtures/log158_models.py; } > tests/fixtures/log158_models.sql
