package modules_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/modules"
)

func newRegistry(t *testing.T, dir string, cfg modules.Config) *modules.Registry {
	t.Helper()
	db, err := store.Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := host.New(context.Background(), host.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rt.Close(context.Background())
		db.Close()
	})
	r := modules.New(db, rt, cfg)
	if err := r.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPutResolveDelete(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t, t.TempDir(), modules.DefaultConfig())
	echo, err := os.ReadFile("../examples/wat/echo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	v, created, err := r.Put(ctx, "echo", echo)
	if err != nil || !created || v.Version != 1 || v.Profile != abi.ProfileWASICommand || len(v.Imports) != 3 {
		t.Fatalf("put: %+v %v %v", v, created, err)
	}
	if _, _, err := r.Resolve(ctx, "echo", 2); !errors.Is(err, modules.ErrNotFound) {
		t.Fatalf("resolve v2: %v", err)
	}
	got, mod, err := r.Resolve(ctx, "echo", 0)
	if err != nil || got.Digest != v.Digest || mod.Profile() != abi.ProfileWASICommand {
		t.Fatalf("resolve: %+v %v", got, err)
	}
	if err := r.Delete(ctx, "echo"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Resolve(ctx, "echo", 0); !errors.Is(err, modules.ErrNotFound) {
		t.Fatalf("resolve after delete: %v", err)
	}
	if r.Len() != 0 {
		t.Fatalf("len %d", r.Len())
	}
}

func TestPutRejects(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t, t.TempDir(), modules.Config{MaxBytes: 100})
	tests := []struct {
		name string
		wasm []byte
		want error
	}{
		{"Upper", []byte("x"), modules.ErrInvalidName},
		{".dot", []byte("x"), modules.ErrInvalidName},
		{"ok", make([]byte, 101), modules.ErrTooLarge},
		{"ok", []byte("garbage"), modules.ErrInvalid},
	}
	for _, tt := range tests {
		if _, _, err := r.Put(ctx, tt.name, tt.wasm); !errors.Is(err, tt.want) {
			t.Errorf("Put(%q, %d bytes) = %v, want %v", tt.name, len(tt.wasm), err, tt.want)
		}
	}
}

// TestConcurrentPut uploads the same bytes from many goroutines: exactly one
// version is created and every caller sees it.
func TestConcurrentPut(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t, t.TempDir(), modules.DefaultConfig())
	echo, _ := os.ReadFile("../examples/wat/echo.wasm")
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, c, err := r.Put(ctx, "echo", echo)
			if err != nil || v.Version != 1 {
				t.Errorf("%+v %v", v, err)
			}
			if c {
				mu.Lock()
				created++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if created != 1 {
		t.Fatalf("created %d times", created)
	}
	if vs, _ := r.Versions("echo"); len(vs) != 1 {
		t.Fatalf("versions %d", len(vs))
	}
}

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"a": true, "echo": true, "my-task.v2_x": true, "0abc": true,
		"": false, "-a": false, "_a": false, "A": false, "a/b": false, "a b": false,
		"a234567890123456789012345678901234567890123456789012345678901234":  true,
		"a2345678901234567890123456789012345678901234567890123456789012345": false,
	} {
		if got := modules.ValidName(name); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, got, want)
		}
	}
}
