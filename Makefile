# NexusTask. `make check` is what CI runs.
GO ?= go

.PHONY: build test race check examples conformance bench clean proto

build:
	$(GO) build -o bin/nexus ./cmd/nexus

test:
	$(GO) test ./...

race:
	$(GO) test -race ./...

# examples rebuilds every committed guest module from its source: the
# examples and conformance guests of each language, and the test fixtures.
# .ci/install-toolchains installs what it needs.
examples:
	for lang in go rust c assemblyscript wat; do \
		if [ -x examples/$$lang/build.sh ]; then examples/$$lang/build.sh || exit 1; fi; \
	done
	for d in host/testdata host/fuel/testdata/wat server/testdata conformance/testdata/modules cmd/nexus/testdata internal/tasks/testdata; do \
		(cd $$d && for f in *.wat; do wat2wasm $$f -o $${f%.wat}.wasm || exit 1; done) || exit 1; \
	done
	cd examples/go/echo && GOOS=wasip1 GOARCH=wasm $(GO) build -trimpath -buildvcs=false -o echo.wasm .
	cd host/testdata/wasiprobe && GOOS=wasip1 GOARCH=wasm $(GO) build -trimpath -buildvcs=false -o ../wasiprobe.wasm .
	cd host/fuel && GOOS=wasip1 GOARCH=wasm $(GO) build -trimpath -buildvcs=false -o testdata/kernels.wasm ./testdata/kernels
	host/fuel/testdata/ckernels/build.sh
	host/testdata/fsprobe/build.sh

# proto regenerates the Go code of proto/*.proto (needs protoc: Debian's
# protobuf-compiler; protoc-gen-go is installed at go.mod's version).
proto:
	sh proto/generate.sh

# conformance regenerates conformance/RESULTS.md: the matrix against a live server.
conformance:
	.ci/conformance-matrix conformance/RESULTS.md

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./host/ ./host/fuel/ ./modules/
	cd bench && $(GO) run ./cmd/fueloverhead -processes 10 -count 2
	cd bench && $(GO) run ./cmd/loadgen -rounds 5 -warmup 500ms
	$(GO) build -o bin/nexus ./cmd/nexus
	cd bench && $(GO) run ./cmd/loadgen -rounds 5 -warmup 500ms -nexus-bin ../bin/nexus

check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) mod tidy -diff
	GOOS=wasip1 GOARCH=wasm $(GO) build ./abi/...
	$(GO) test ./...

clean:
	rm -rf bin nexus-data
