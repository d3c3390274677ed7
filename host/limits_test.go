package host_test

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/host"
)

// TestTableMinimumOverLimit: a module whose tables at start exceed the
// task's table-element limit does not start, and is reported as
// memory_limit; the limit defaults to the memory quota / 8.
func TestTableMinimumOverLimit(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	m := compileFile(t, rt, "testdata/bigtable.wasm") // 1,000,000 elements
	for _, lim := range []host.Limits{
		{MemoryBytes: 4 << 20},                      // 4 MiB / 8 = 524,288 elements
		{TableElements: 999_999},                    // explicit
		{MemoryBytes: 1 << 30, TableElements: 1000}, // explicit wins over derived
	} {
		res, err := rt.Run(context.Background(), m, host.Request{Limits: lim})
		if !errors.Is(err, host.ErrMemoryLimit) || !strings.Contains(err.Error(), "1000000 table elements") {
			t.Fatalf("limits %+v: err = %v, want ErrMemoryLimit naming the table elements", lim, err)
		}
		if res == nil {
			t.Fatal("nil result")
		}
	}
	// The default 64 MiB quota allows 8,388,608 elements.
	if _, err := rt.Run(context.Background(), m, host.Request{}); err != nil {
		t.Fatal(err)
	}
}

// TestTableGrowOverLimit: table.grow past the task's limit returns -1 and
// the task, trapping after it, is reported as memory_limit; growth within
// the limit works. It needs the instrumenter's table_room call.
func TestTableGrowOverLimit(t *testing.T) {
	rt := newRuntime(t, host.DefaultConfig())
	m := compileFile(t, rt, "testdata/tablegrow.wasm") // table of 1, grows by the input
	grow := func(n uint32) []byte { return binary.LittleEndian.AppendUint32(nil, n) }
	tests := []struct {
		name  string
		delta uint32
		lim   host.Limits
		ok    bool
	}{
		{"within explicit limit", 999, host.Limits{TableElements: 1000}, true},
		{"past explicit limit", 1000, host.Limits{TableElements: 1000}, false},
		{"within derived limit", 16383, host.Limits{MemoryBytes: 128 << 10}, true}, // 128 KiB / 8 = 16384
		{"past derived limit", 16384, host.Limits{MemoryBytes: 128 << 10}, false},
		{"past default limit", 100_000_000, host.Limits{}, false},
		{"u32 overflow of the total", 0xffffffff, host.Limits{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rt.Run(context.Background(), m, host.Request{Input: grow(tt.delta), Limits: tt.lim})
			if tt.ok {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errors.Is(err, host.ErrMemoryLimit) || !strings.Contains(err.Error(), "table growth") {
				t.Fatalf("err = %v, want ErrMemoryLimit from a refused table.grow", err)
			}
		})
	}
}

// TestServerCeilings: a request above Config.Max is a *LimitError (400
// invalid_request), also with the zero Config, whose memory ceiling is
// DefaultMaxMemoryBytes; an upload whose memory or table minimum exceeds
// the ceiling is refused as invalid.
func TestServerCeilings(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(t, host.Config{})
	m := compileFile(t, rt, "testdata/nexus_echo.wasm")
	for _, tt := range []struct {
		lim  host.Limits
		name string
	}{
		{host.Limits{MemoryBytes: host.DefaultMaxMemoryBytes + 1}, "memory"},
		{host.Limits{TableElements: host.DefaultMaxMemoryBytes/host.TableElementBytes + 1}, "table elements"},
	} {
		_, err := rt.Run(ctx, m, host.Request{Limits: tt.lim})
		var le *host.LimitError
		if !errors.As(err, &le) || le.Name != tt.name {
			t.Fatalf("limits %+v: err = %v, want LimitError(%s)", tt.lim, err, tt.name)
		}
	}

	cfg := host.DefaultConfig()
	cfg.Defaults.MemoryBytes = 1 << 20
	cfg.Max.MemoryBytes = 1 << 20 // 16 pages, 131,072 table elements
	small := newRuntime(t, cfg)
	for _, tt := range []struct{ file, want string }{
		{"testdata/bigmem.wasm", "maximum memory quota"},
		{"testdata/bigtable.wasm", "maximum of 131072 table elements"},
	} {
		wasm, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		_, err = small.Prepare(ctx, wasm)
		if !errors.Is(err, host.ErrInvalidModule) || !strings.Contains(err.Error(), tt.want) {
			t.Fatalf("%s: err = %v, want ErrInvalidModule naming %q", tt.file, err, tt.want)
		}
	}
	if _, err := host.New(ctx, host.Config{Max: host.Limits{TableElements: -1}}); err == nil {
		t.Fatal("negative maximum accepted")
	}
}

// TestSnapshotInitialiseBudget: a module whose _initialize never ends is
// uploaded without a snapshot once the snapshot's own fuel budget or
// deadline runs out, and the status says which; its tasks then run the
// initialisation themselves under their own limits.
func TestSnapshotInitialiseBudget(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		cfg  func(*host.Config)
		want string
	}{
		{"fuel", func(c *host.Config) { c.SnapshotFuel = 5_000_000 }, "snapshot fuel budget of 5000000"},
		{"deadline", func(c *host.Config) { c.SnapshotFuel, c.SnapshotTimeout = 1<<62, time.Nanosecond }, "snapshot timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := host.DefaultConfig()
			tt.cfg(&cfg)
			rt := newRuntime(t, cfg)
			m, art := prepareFile(t, rt, "testdata/initloop.wasm")
			err := rt.Snapshot(ctx, m, art, "initloop")
			if !errors.Is(err, host.ErrNoSnapshot) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrNoSnapshot naming %q", err, tt.want)
			}
			if got := m.SnapshotStatus("initloop"); !strings.Contains(got, tt.want) {
				t.Fatalf("status %q", got)
			}
			_, err = rt.Run(ctx, m, host.Request{Namespace: "initloop", Limits: host.Limits{Fuel: 3_000_000}})
			var fe *host.FuelError
			if !errors.As(err, &fe) {
				t.Fatalf("task err = %v, want the task's own FuelError", err)
			}
		})
	}
	if c := host.DefaultConfig(); c.SnapshotFuel != host.DefaultSnapshotFuel || c.SnapshotTimeout != host.DefaultSnapshotTimeout {
		t.Fatalf("DefaultConfig snapshot limits %d, %v", c.SnapshotFuel, c.SnapshotTimeout)
	}
}

// TestSnapshotInitialiseDefaultBudget: with the default configuration a
// looping _initialize gives up the snapshot after DefaultSnapshotFuel
// (about a second of compute) instead of holding the upload for a task's
// whole timeout.
func TestSnapshotInitialiseDefaultBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a second of guest compute")
	}
	rt := newRuntime(t, host.DefaultConfig())
	m, art := prepareFile(t, rt, "testdata/initloop.wasm")
	err := rt.Snapshot(context.Background(), m, art, "initloop")
	if !errors.Is(err, host.ErrNoSnapshot) {
		t.Fatalf("err = %v", err)
	}
	t.Log(err)
}
