# NexusTask. `make check` is what CI runs.
GO ?= go

.PHONY: build test race check examples bench clean

build:
	$(GO) build -o bin/nexus ./cmd/nexus

test:
	$(GO) test ./...

race:
	$(GO) test -race ./...

# examples rebuilds the committed guest modules from their sources.
examples:
	cd examples/wat && for f in *.wat; do wat2wasm $$f -o $${f%.wat}.wasm; done
	cd host/testdata && for f in *.wat; do wat2wasm $$f -o $${f%.wat}.wasm; done
	cd examples/go/echo && GOOS=wasip1 GOARCH=wasm $(GO) build -trimpath -o echo.wasm .

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./host/ ./modules/
	cd bench && $(GO) run ./cmd/loadgen

check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) mod tidy -diff
	GOOS=wasip1 GOARCH=wasm $(GO) build ./abi/...
	$(GO) test ./...

clean:
	rm -rf bin nexus-data
