package host_test

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host"
)

// spawnImports take memory ranges; TestSpawnImportsCheckRangesFirst
// covers them for TestImportsCheckRangesFirst.
var spawnImports = []string{abi.ImportTaskSpawn, abi.ImportTaskAwait, abi.ImportTaskAwaitAny}

// countSpawner is a host.Spawner that records spawns and answers every
// await at once with the child's input: the host side of the imports
// (handles, codes, ranges) without a task service, which host may not
// import.
type countSpawner struct{ inputs [][]byte }

func (c *countSpawner) Spawn(_ context.Context, seq int, module string, input, _ []byte) int32 {
	if module != "child" || seq != len(c.inputs) {
		return abi.ErrNotFound
	}
	c.inputs = append(c.inputs, append([]byte(nil), input...))
	return 0
}

func (c *countSpawner) Await(ctx context.Context, seqs []int, park func(func(context.Context) error) error) (int, []byte, int32, error) {
	return 0, c.inputs[seqs[0]], 0, nil
}

// spawnCall runs spawnrange.wasm with import i and args; it returns what
// nexus_run returned minus 1000 (the import's result) or the run's error.
func spawnCall(t *testing.T, rt *host.Runtime, m *host.Module, sp host.Spawner, i uint32, args ...uint32) (int32, error) {
	t.Helper()
	in := binary.LittleEndian.AppendUint32(nil, i)
	for _, a := range args {
		in = binary.LittleEndian.AppendUint32(in, a)
	}
	for len(in) < 28 {
		in = append(in, 0)
	}
	_, err := rt.Run(context.Background(), m, host.Request{Input: in, Namespace: "spawnrange", Spawner: sp})
	var te *host.TaskError
	if errors.As(err, &te) {
		return te.Code - 1000, nil
	}
	return 0, err
}

func TestSpawnImportsCheckRangesFirst(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	m := compileFile(t, rt, "testdata/spawnrange.wasm")
	for _, c := range []struct {
		name, import_ string
		call          uint32
		args          []uint32
		ranged        string
	}{
		{"task_spawn module", abi.ImportTaskSpawn, 0, []uint32{65530, 10, 0, 0, 0, 0}, "[65530, 65540)"},
		{"task_spawn input", abi.ImportTaskSpawn, 0, []uint32{100, 5, 65536, 1, 0, 0}, "[65536, 65537)"},
		{"task_spawn options", abi.ImportTaskSpawn, 0, []uint32{100, 5, 0, 0, 70000, 2}, "[70000, 70002)"},
		{"task_await buffer, no such handle", abi.ImportTaskAwait, 1, []uint32{7, 65536, 16}, "[65536, 65552)"},
		{"task_await_any handles", abi.ImportTaskAwaitAny, 2, []uint32{65534, 1}, "[65534, 65538)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := spawnCall(t, rt, m, nil, c.call, c.args...)
			var te *host.TrapError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a trap", err)
			}
			want := "nexus_v1." + c.import_ + ": memory range " + c.ranged + " is outside linear memory"
			if !strings.Contains(te.Message, want) {
				t.Fatalf("trap %q, want %q", te.Message, want)
			}
		})
	}
}

func TestSpawnImportCodes(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	m := compileFile(t, rt, "testdata/spawnrange.wasm")
	for _, c := range []struct {
		name string
		sp   host.Spawner
		call uint32
		args []uint32
		want int32
	}{
		{"spawn without a spawner", nil, 0, []uint32{100, 5, 0, 4, 0, 0}, abi.ErrDenied},
		{"spawn", &countSpawner{}, 0, []uint32{100, 5, 0, 4, 0, 0}, 0},
		{"spawn of an unknown module", &countSpawner{}, 0, []uint32{100, 4, 0, 4, 0, 0}, abi.ErrNotFound},
		{"spawn with a name too long", &countSpawner{}, 0, []uint32{0, host.MaxSpawnModuleBytes + 1, 0, 0, 0, 0}, abi.ErrLimit},
		{"await without a spawner", nil, 1, []uint32{0, 0, 0}, abi.ErrDenied},
		{"await of no handle", &countSpawner{}, 1, []uint32{0, 0, 0}, abi.ErrNotFound},
		{"await_any of none", &countSpawner{}, 2, []uint32{0, 0}, abi.ErrInvalid},
		{"await_any of no handle", &countSpawner{}, 2, []uint32{0, 1}, abi.ErrNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := spawnCall(t, rt, m, c.sp, c.call, c.args...)
			if err != nil || got != c.want {
				t.Fatalf("result %d, %v; want %d", got, err, c.want)
			}
		})
	}
}

func TestSpawningModuleRunsFresh(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	m := compileFile(t, rt, "testdata/spawnrange.wasm")
	before := rt.InstanceStats().Fresh
	for range 3 {
		if _, err := spawnCall(t, rt, m, &countSpawner{}, 0, 100, 5, 0, 0, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	if got := rt.InstanceStats().Fresh - before; got != 3 {
		t.Fatalf("%d fresh instances for 3 tasks of a spawning module", got)
	}
}
