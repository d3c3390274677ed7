package goexamples_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/nexustask/nexus/examples/internal/exampletest"
	"github.com/nexustask/nexus/host"
)

// TestEchoReactor runs examples/go/echoreactor fresh, from a snapshot and
// warm, and checks that each returns its input, and that the snapshot's
// runs use exactly the plain runs' fuel.
func TestEchoReactor(t *testing.T) {
	e := exampletest.NewEnv(t)
	path := exampletest.Path(".", "echoreactor")
	plain := exampletest.Compile(t, e.RT, path)
	snap := exampletest.Compile(t, e.RT, path)
	art, err := e.RT.Prepare(context.Background(), readFile(t, path))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.RT.Snapshot(context.Background(), snap, art, "echo"); err != nil {
		t.Fatal(err)
	}
	for _, in := range [][]byte{nil, []byte("hello"), bytes.Repeat([]byte("0123456789"), 10000)} {
		a := e.Run(t, plain, "echo", host.Request{Input: in})
		b := e.Run(t, snap, "echo", host.Request{Input: in})
		w := e.Run(t, plain, "echo", host.Request{Input: in, Isolation: host.IsolationWarm})
		for _, r := range []*host.Result{a, b, w} {
			if !bytes.Equal(r.Output, in) {
				t.Fatalf("output of %d bytes for %d bytes of input", len(r.Output), len(in))
			}
		}
		if a.FuelUsed != b.FuelUsed {
			t.Fatalf("fuel %d from the snapshot, %d plain", b.FuelUsed, a.FuelUsed)
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
