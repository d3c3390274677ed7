package modules_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/modules"
)

// TestIsolationAndSnapshot uploads the Go echo reactor warm and the WAT echo
// with the default isolation (warm is refused for it) into a registry that takes snapshots, checks
// what each version reports, and that both survive a restart.
func TestIsolationAndSnapshot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := modules.DefaultConfig()
	cfg.Snapshots = true
	r, rt, closeAll := openRegistry(t, dir, cfg)
	reactor, err := os.ReadFile("../examples/go/echoreactor/echoreactor.wasm")
	if err != nil {
		t.Fatal(err)
	}
	wat, err := os.ReadFile("../examples/wat/echo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.PutWith(ctx, "bad", wat, modules.PutOptions{Isolation: "shared"}); !errors.Is(err, modules.ErrInvalidOption) {
		t.Fatalf("isolation=shared: %v", err)
	}
	v, _, err := r.PutWith(ctx, "goecho", reactor, modules.PutOptions{Isolation: host.IsolationWarm})
	if err != nil {
		t.Fatal(err)
	}
	if v.Isolation != host.IsolationWarm || v.Snapshot != "snapshot" {
		t.Fatalf("reactor: isolation %q snapshot %q", v.Isolation, v.Snapshot)
	}
	// The WAT echo is a wasi-command, which never runs warm: asking for warm
	// is refused, whether its bytes are new or already stored.
	if _, _, err := r.PutWith(ctx, "echo", wat, modules.PutOptions{Isolation: host.IsolationWarm}); !errors.Is(err, modules.ErrInvalidOption) {
		t.Fatalf("wasi-command warm: %v", err)
	}
	w, _, err := r.Put(ctx, "echo", wat)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.PutWith(ctx, "echo", wat, modules.PutOptions{Isolation: host.IsolationWarm}); !errors.Is(err, modules.ErrInvalidOption) {
		t.Fatalf("wasi-command warm, bytes stored: %v", err)
	}
	if w.Isolation != host.IsolationFresh || w.Snapshot == "" || w.Snapshot == "snapshot" {
		t.Fatalf("wat echo: isolation %q snapshot %q", w.Isolation, w.Snapshot)
	}
	_, m, err := r.Resolve(ctx, "goecho", 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := rt.Run(ctx, m, host.Request{Input: []byte("hi"), Namespace: "goecho"})
	if err != nil || string(res.Output) != "hi" || m.WarmIdle("goecho") != 1 {
		t.Fatalf("run: %v %q, %d warm", err, res.Output, m.WarmIdle("goecho"))
	}
	closeAll()

	// A second registry over the same store: the settings were kept, and the
	// snapshot is taken again at load.
	r2, _, closeAll := openRegistry(t, dir, cfg)
	defer closeAll()
	vs, err := r2.Versions("goecho")
	if err != nil {
		t.Fatal(err)
	}
	if vs[0].Isolation != host.IsolationWarm || vs[0].Snapshot != "snapshot" {
		t.Fatalf("after restart: isolation %q snapshot %q", vs[0].Isolation, vs[0].Snapshot)
	}
}

// openRegistry opens the store in dir, a runtime and a loaded registry;
// closeAll closes the runtime and the store.
func openRegistry(t *testing.T, dir string, cfg modules.Config) (*modules.Registry, *host.Runtime, func()) {
	t.Helper()
	db, err := store.Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := host.New(context.Background(), host.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	r := modules.New(db, rt, cfg)
	if err := r.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r, rt, func() {
		rt.Close(context.Background())
		db.Close()
	}
}
