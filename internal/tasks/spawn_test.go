package tasks_test

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/tasks"
)

// spawnInput is the input of testdata/spawner.wasm: n children of module
// with input base and their index byte.
func spawnInput(mode byte, n int, module, base string) []byte {
	b := []byte{mode, 0, 0, 0, 0, byte(len(module))}
	binary.LittleEndian.PutUint32(b[1:], uint32(n))
	return append(append(b, module...), base...)
}

// oneWorker is an executor with one worker token: a parent that held its
// token while it awaits would keep its children from ever running.
func oneWorker() executor.Config {
	c := executor.DefaultConfig()
	c.Workers = 1
	return c
}

func TestSpawnAwait(t *testing.T) {
	e := openWith(t, t.TempDir(), tasks.Config{}, oneWorker())
	e.put("sp", "testdata/spawner.wasm")
	parent := e.submit(tasks.Spec{Module: "sp", Input: spawnInput('a', 20, "tt", "ck"), Priority: ptr(7), Category: "cat1"})
	r := e.wait(parent.ID)
	if r.State != tasks.Succeeded {
		t.Fatalf("parent %s: %s %s", r.State, r.ErrorCode, r.ErrorMessage)
	}
	if want := strings.Repeat("1,", 20); string(r.Output) != want {
		t.Fatalf("output %q, want %q", r.Output, want)
	}
	for i := range 20 {
		c, err := e.svc.Get(context.Background(), tasks.ChildID(parent.ID, i))
		if err != nil {
			t.Fatal(err)
		}
		if c.State != tasks.Succeeded || c.Attempts != 1 || c.Priority != 7 || c.Category != "cat1" || c.Module != "tt" {
			t.Fatalf("child %d: %+v", i, c)
		}
	}
}

func TestSpawnParentRetryFindsItsChildren(t *testing.T) {
	e := openWith(t, t.TempDir(), tasks.Config{}, oneWorker())
	e.put("sp", "testdata/spawner.wasm")
	parent := e.submit(tasks.Spec{Module: "sp", Input: spawnInput('T', 10, "tt", "ck"), MaxRetries: ptr(1)})
	r := e.wait(parent.ID)
	if r.State != tasks.Succeeded || r.Attempts != 2 {
		t.Fatalf("parent %s after %d attempts: %s", r.State, r.Attempts, r.ErrorMessage)
	}
	if want := strings.Repeat("1,", 10); string(r.Output) != want {
		t.Fatalf("output %q, want %q", r.Output, want)
	}
	for i := range 10 {
		if n := e.kvCount("k" + string(rune(i))); n != 1 {
			t.Fatalf("child %d ran %d times", i, n)
		}
	}
}

func TestSpawnChildFailure(t *testing.T) {
	e := open(t, t.TempDir(), tasks.Config{DefaultMaxRetries: -1})
	e.put("sp", "testdata/spawner.wasm")
	parent := e.submit(tasks.Spec{Module: "sp", Input: spawnInput('a', 2, "tt", "t")})
	r := e.wait(parent.ID)
	if r.State != tasks.Succeeded || string(r.Output) != "!,!," {
		t.Fatalf("parent %s %q: %s", r.State, r.Output, r.ErrorMessage)
	}
	for _, c := range []struct {
		name, module string
		code         string
	}{
		{"unknown module", "nope", "nexus_run returned 101"},
		{"bad name", "a b", "nexus_run returned 104"},
	} {
		p := e.submit(tasks.Spec{Module: "sp", Input: spawnInput('a', 1, c.module, "n")})
		if r := e.wait(p.ID); !failed(r) || !strings.Contains(r.ErrorMessage, c.code) {
			t.Errorf("%s: parent %s %q", c.name, r.State, r.ErrorMessage)
		}
	}
}

func TestSpawnParentDeadline(t *testing.T) {
	e := open(t, t.TempDir(), tasks.Config{DefaultMaxRetries: -1})
	e.put("sp", "testdata/spawner.wasm")
	parent := e.submit(tasks.Spec{Module: "sp", Input: spawnInput('a', 1, "tt", "l"), TimeoutMs: 200})
	cancelOnCleanup(e, tasks.ChildID(parent.ID, 0))
	r := e.wait(parent.ID)
	if !failed(r) || r.ErrorCode != "timeout" {
		t.Fatalf("parent %s %s: %s", r.State, r.ErrorCode, r.ErrorMessage)
	}
}

func TestSpawnMaxAwaiting(t *testing.T) {
	e := open(t, t.TempDir(), tasks.Config{DefaultMaxRetries: -1, MaxAwaiting: 1})
	e.put("sp", "testdata/spawner.wasm")
	first := e.submit(tasks.Spec{Module: "sp", Input: spawnInput('a', 1, "tt", "l")})
	cancelOnCleanup(e, first.ID, tasks.ChildID(first.ID, 0))
	for deadline := time.Now().Add(20 * time.Second); e.svc.Awaiting() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the first parent did not park in 20 s")
		}
		time.Sleep(time.Millisecond)
	}
	second := e.submit(tasks.Spec{Module: "sp", Input: spawnInput('a', 1, "tt", "l")})
	cancelOnCleanup(e, tasks.ChildID(second.ID, 0))
	r := e.wait(second.ID)
	if !failed(r) || !strings.Contains(r.ErrorMessage, "nexus_run returned 202") {
		t.Fatalf("second parent %s: %s", r.State, r.ErrorMessage)
	}
}

// failed reports whether r ended without success, retries exhausted or not.
func failed(r tasks.Record) bool { return r.State == tasks.Failed || r.State == tasks.Dead }

// cancelOnCleanup cancels tasks that loop forever when the test ends,
// before the service stops.
func cancelOnCleanup(e *env, ids ...string) {
	e.t.Cleanup(func() {
		for _, id := range ids {
			e.svc.Cancel(context.Background(), id)
		}
	})
}

func TestChildID(t *testing.T) {
	p := tasks.NewID()
	a, b := tasks.ChildID(p, 0), tasks.ChildID(p, 1)
	if a == b || a != tasks.ChildID(p, 0) || len(a) != 32 || a[:12] != p[:12] {
		t.Fatalf("ChildID(%s): %s, %s", p, a, b)
	}
}
