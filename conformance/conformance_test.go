package conformance_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/nexustask/nexus/client"
	"github.com/nexustask/nexus/conformance"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/modules"
	"github.com/nexustask/nexus/server"
)

func guests(t *testing.T) []conformance.Guest {
	t.Helper()
	g, err := conformance.Guests()
	if err != nil {
		t.Fatal(err)
	}
	if len(g) == 0 {
		t.Fatal("no conformance guests built into the suite")
	}
	return g
}

func TestInProcess(t *testing.T) {
	target, err := conformance.NewInProcess(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	conformance.Run(t, target, guests(t))
}

// TestServer runs the suite against a real server on 127.0.0.1:0 with a
// real store, exactly as a user's `nexus conformance --server` would.
func TestServer(t *testing.T) {
	if testing.Short() {
		t.Skip("short: the in-process run covers the same cases")
	}
	dir := t.TempDir()
	db, err := store.Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := host.DefaultConfig()
	cfg.KV = db
	cfg.CacheDir = filepath.Join(dir, "compiled")
	rt, err := host.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	reg := modules.New(db, rt, modules.Config{})
	exec, err := executor.New(executor.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Close(context.Background())
	// A task service, so that guests may spawn child tasks.
	svc, err := tasks.New(db, db, &tasks.Runner{Registry: reg, Runtime: rt, Exec: exec}, tasks.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer svc.Close(context.Background())
	srv := server.New(reg, rt, exec, metrics.New(reg.Len), server.Config{Logger: slog.New(slog.DiscardHandler), Tasks: svc})
	srv.SetReady(true)
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	c, err := client.New(hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	target := conformance.NewServer(c)
	defer target.Close()
	conformance.Run(t, target, guests(t))
}

func TestCasesEncode(t *testing.T) {
	cases, err := conformance.LoadCases()
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Fatalf("only %d cases", len(cases))
	}
}

func TestEncodeScriptRejects(t *testing.T) {
	for _, bad := range []string{`[["nope"]]`, `[["output"]]`, `[["output", 5]]`, `[["spin", -1]]`, `[[]]`} {
		var cmds []conformance.Command
		if err := json.Unmarshal([]byte(bad), &cmds); err != nil {
			t.Fatal(err)
		}
		if _, err := conformance.EncodeScript(cmds); err == nil {
			t.Errorf("EncodeScript(%s) accepted", bad)
		}
	}
}
