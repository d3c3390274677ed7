# NexusTask. `make check` is what CI runs.
GO ?= go

.PHONY: build test race check examples conformance bench clean proto dist dist-check image-check docs-check

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

# dist builds release binaries for every platform into dist/, stamped with
# VERSION and COMMIT, with their SHA-256 sums in dist/SHA256SUMS. The
# build is reproducible: no cgo, no paths (-trimpath), no build id, no VCS
# stamp but the two -X values, so the same commit gives the same bytes.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
DIST ?= dist
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
dist:
	rm -rf $(DIST) && mkdir -p $(DIST)
	for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -buildvcs=false \
			-ldflags "-s -w -buildid= -X main.version=$(VERSION) -X main.commit=$(COMMIT)" \
			-o $(DIST)/nexus-$(VERSION)-$$os-$$arch$$ext ./cmd/nexus || exit 1; \
	done
	cd $(DIST) && sha256sum nexus-* > SHA256SUMS && cat SHA256SUMS

# dist-check builds linux/amd64 twice, the second time with an empty build
# cache, and fails unless both builds are byte-identical.
dist-check:
	$(MAKE) dist DIST=dist/a PLATFORMS=linux/amd64
	cache=$$(mktemp -d) && GOCACHE=$$cache $(MAKE) dist DIST=dist/b PLATFORMS=linux/amd64; rc=$$?; \
		chmod -R u+w $$cache; rm -rf $$cache; exit $$rc
	cmp dist/a/SHA256SUMS dist/b/SHA256SUMS && echo "dist: reproducible"
	dist/a/nexus-$(VERSION)-linux-amd64 version | grep -F "nexus $(VERSION) (commit $(COMMIT))"

# image-check validates the Dockerfile and runs the binary it would copy in
# an empty root (see .ci/image-check); CI runs it where no container
# builder is installed.
image-check:
	.ci/image-check

# docs-check parses every Mermaid diagram of the docs with Mermaid's parser.
docs-check:
	.ci/docs-check

clean:
	rm -rf bin dist nexus-data
