package exampletest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/store"
)

// Env is one host runtime with a kv store in a temporary directory, closed
// when the test ends. It is safe for the concurrent use the host allows.
type Env struct {
	RT *host.Runtime
	DB *store.DB
}

// NewEnv returns an Env whose host uses a real store in t.TempDir().
func NewEnv(t testing.TB) *Env {
	t.Helper()
	db, err := store.Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := host.DefaultConfig()
	cfg.KV = db
	return &Env{RT: NewRuntime(t, cfg), DB: db}
}

// NewRuntime returns a host runtime with cfg, closed when the test ends.
func NewRuntime(t testing.TB, cfg host.Config) *host.Runtime {
	t.Helper()
	rt, err := host.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	return rt
}

// Path returns where the example name of the language in dir is built:
// dir/name/name.wasm.
func Path(dir, name string) string {
	return filepath.Join(dir, name, name+".wasm")
}

// Compile compiles the .wasm file at path on rt and checks that it is a
// nexus-v1 module.
func Compile(t testing.TB, rt *host.Runtime, path string) *host.Module {
	t.Helper()
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := rt.Compile(context.Background(), wasm, nil)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if m.Profile() != abi.ProfileNexusV1 {
		t.Fatalf("%s: profile %q, want %q", path, m.Profile(), abi.ProfileNexusV1)
	}
	return m
}

// Run runs one task of m in namespace ns and fails the test if it fails.
func (e *Env) Run(t testing.TB, m *host.Module, ns string, req host.Request) *host.Result {
	t.Helper()
	req.Namespace = ns
	res, err := e.RT.Run(context.Background(), m, req)
	if err != nil {
		t.Fatalf("%s(%q): %v\nlogs:\n%s", ns, req.Input, err, res.Logs)
	}
	return res
}

// TaskError runs one task of m that must fail with a task error, and
// returns its message.
func (e *Env) TaskError(t testing.TB, m *host.Module, req host.Request) string {
	t.Helper()
	_, err := e.RT.Run(context.Background(), m, req)
	var te *host.TaskError
	if !errors.As(err, &te) {
		t.Fatalf("%s(%q): error %v, want a task error", req.Namespace, req.Input, err)
	}
	return te.Message
}
