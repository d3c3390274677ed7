// Package examples holds NexusTask's example guest tasks. Its tests run
// every committed .wasm and check it matches its source.
package examples_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexustask/nexus/host"
)

func run(t *testing.T, path string, input []byte) []byte {
	t.Helper()
	ctx := context.Background()
	rt, err := host.New(ctx, host.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := rt.Compile(ctx, wasm, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := rt.Run(ctx, m, host.Request{Input: input})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return res.Output
}

func TestEcho(t *testing.T) {
	for _, path := range []string{"wat/echo.wasm", "go/echo/echo.wasm"} {
		in := []byte("echo from " + path)
		if out := run(t, path, in); !bytes.Equal(out, in) {
			t.Errorf("%s: output %q", path, out)
		}
	}
}

// TestWATMatchesWasm checks that every committed .wasm beside a .wat in the
// repository is what wat2wasm builds from it.
func TestWATMatchesWasm(t *testing.T) {
	wat2wasm, err := exec.LookPath("wat2wasm")
	if err != nil {
		t.Skip("wat2wasm not installed (Debian package wabt); committed .wasm files not rebuilt")
	}
	root, _ := filepath.Abs("..")
	checked := 0
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, ".wat") {
			return nil
		}
		committed, err := os.ReadFile(strings.TrimSuffix(path, ".wat") + ".wasm")
		if err != nil {
			return nil // a .wat without a built .wasm is source only
		}
		out := filepath.Join(t.TempDir(), "out.wasm")
		if msg, err := exec.Command(wat2wasm, path, "-o", out).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", path, err, msg)
			return nil
		}
		built, _ := os.ReadFile(out)
		if !bytes.Equal(built, committed) {
			rel, _ := filepath.Rel(root, path)
			t.Errorf("%s: committed .wasm differs from wat2wasm output; rebuild it", rel)
		}
		checked++
		return nil
	})
	t.Logf("checked %d .wat/.wasm pairs", checked)
}
