# windowbot. `make test` is what CI runs (.ci/run): it first makes sure Redis, PostgreSQL and a
# CJK font are there, then runs every test with the race detector.

GO      ?= go
BIN     ?= dist/windowbot
ARGS    ?=
# Static, reproducible binary: the SQLite driver is pure Go, so no cgo is needed.
BUILD_FLAGS := -trimpath -ldflags "-s -w"

.PHONY: test run build lint bench tidy services

test: services
	$(GO) test -race ./...

services:
	bash scripts/ensure-services.sh

run:
	$(GO) run . $(ARGS)

build:
	CGO_ENABLED=0 $(GO) build $(BUILD_FLAGS) -o $(BIN) .

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench: services
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

tidy:
	$(GO) mod tidy
