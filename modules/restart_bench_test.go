package modules_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/modules"
)

// The module BenchmarkRestartFirstInvoke restarts with: the Go-compiled echo,
// large enough (2.6 MB) that compiling it dominates a restart.
const (
	restartModule = "goecho"
	restartWasm   = "../examples/go/echo/echo.wasm"
)

// BenchmarkRestartFirstInvoke measures what a restarted server does before
// it answers its first invocation: open the store, create the runtime, load
// the registry (compiling the latest version of each module), resolve the
// module and run it once, then close everything. The "cache" variant keeps
// wazero's compiled code in a warm on-disk cache; "nocache" compiles anew.
func BenchmarkRestartFirstInvoke(b *testing.B) {
	dataDir := b.TempDir()
	seedStore(b, dataDir)
	cacheDir := filepath.Join(b.TempDir(), "compiled")
	for _, bm := range []struct {
		name     string
		cacheDir string
	}{
		{"cache", cacheDir},
		{"nocache", ""},
	} {
		b.Run(bm.name, func(b *testing.B) {
			cfg := host.DefaultConfig()
			cfg.CacheDir = bm.cacheDir
			restartAndInvoke(b, dataDir, cfg) // warms the cache; checks the setup
			b.ReportAllocs()
			for b.Loop() {
				restartAndInvoke(b, dataDir, cfg)
			}
		})
	}
}

// seedStore uploads restartWasm as restartModule into a new store in dir,
// through a Registry, and closes the store.
func seedStore(b *testing.B, dir string) {
	b.Helper()
	ctx := context.Background()
	wasm, err := os.ReadFile(restartWasm)
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(dir, time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rt, err := host.New(ctx, host.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close(ctx)
	if _, _, err := modules.New(db, rt, modules.DefaultConfig()).Put(ctx, restartModule, wasm); err != nil {
		b.Fatal(err)
	}
}

// restartAndInvoke is one restart: it opens the store in dataDir, loads a
// Registry on a new Runtime configured by cfg, runs restartModule once with
// a small input, checks the output, and closes the runtime and the store.
func restartAndInvoke(b *testing.B, dataDir string, cfg host.Config) {
	b.Helper()
	ctx := context.Background()
	db, err := store.Open(dataDir, time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rt, err := host.New(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close(ctx)
	reg := modules.New(db, rt, modules.DefaultConfig())
	if err := reg.Load(ctx); err != nil {
		b.Fatal(err)
	}
	_, mod, err := reg.Resolve(ctx, restartModule, 0)
	if err != nil {
		b.Fatal(err)
	}
	input := []byte("first invocation after a restart")
	res, err := rt.Run(ctx, mod, host.Request{Input: input})
	if err != nil {
		b.Fatalf("run: %v", err)
	}
	if !bytes.Equal(res.Output, input) {
		b.Fatalf("output %q, want %q", res.Output, input)
	}
}
