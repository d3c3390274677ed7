package host_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/nexustask/nexus/host"
)

// prepareFile reads, prepares and compiles the module at path and returns
// it with its artifact.
func prepareFile(t testing.TB, rt *host.Runtime, path string) (*host.Module, []byte) {
	t.Helper()
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	art, err := rt.Prepare(context.Background(), wasm)
	if err != nil {
		t.Fatal(err)
	}
	m, err := rt.Compile(context.Background(), wasm, art)
	if err != nil {
		t.Fatal(err)
	}
	return m, art
}

const echoReactor = "../examples/go/echoreactor/echoreactor.wasm"

func TestSnapshotEchoReactor(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t, host.DefaultConfig())
	plain, _ := prepareFile(t, rt, echoReactor)
	snap, art := prepareFile(t, rt, echoReactor)
	if err := rt.Snapshot(ctx, snap, art, "echo"); err != nil {
		t.Fatal(err)
	}
	if got := snap.SnapshotStatus("echo"); got != "snapshot" {
		t.Fatalf("status %q", got)
	}
	in := bytes.Repeat([]byte("snapshot "), 1000)
	for i := 0; i < 3; i++ {
		want, err := rt.Run(ctx, plain, host.Request{Input: in, Namespace: "echo"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := rt.Run(ctx, snap, host.Request{Input: in, Namespace: "echo"})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Output, in) || !bytes.Equal(want.Output, in) {
			t.Fatalf("output differs")
		}
		if got.FuelUsed != want.FuelUsed {
			t.Fatalf("fuel %d from the snapshot, %d plain", got.FuelUsed, want.FuelUsed)
		}
		t.Logf("fuel %d, plain %v, snapshot %v", got.FuelUsed, want.Duration, got.Duration)
	}
}

func TestSnapshotFallsBack(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	m, art := prepareFile(t, rt, "../examples/wat/echo.wasm")
	err := rt.Snapshot(context.Background(), m, art, "echo")
	if !errors.Is(err, host.ErrNoSnapshot) {
		t.Fatalf("err = %v", err)
	}
	if m.SnapshotStatus("echo") == "" || m.SnapshotStatus("echo") == "snapshot" {
		t.Fatalf("status %q", m.SnapshotStatus("echo"))
	}
	t.Log(m.SnapshotStatus("echo"))
}

// runEcho runs req on m and checks that the output echoes the input.
func runEcho(rt *host.Runtime, m *host.Module, req host.Request) error {
	res, err := rt.Run(context.Background(), m, req)
	if err != nil {
		return err
	}
	if !bytes.Equal(res.Output, req.Input) {
		return errors.New("output differs from input")
	}
	return nil
}
