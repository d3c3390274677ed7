package exampletest

import (
	"testing"

	"github.com/nexustask/nexus/host"
)

// Counter checks the language's counter: it counts in kv "count" by the
// configuration's step, per module namespace, and reports bad numbers and
// a missing store.
func Counter(t *testing.T, l Lang) {
	e := NewEnv(t)
	m := l.compile(t, e, "counter")
	run := func(ns string, config map[string]string) string {
		t.Helper()
		return string(e.Run(t, m, ns, host.Request{Config: config}).Output)
	}
	for _, want := range []string{"1", "2", "3"} {
		if got := run("counter", nil); got != want {
			t.Errorf("output %q, want %q", got, want)
		}
	}
	if got := run("counter", map[string]string{"step": "5"}); got != "8" {
		t.Errorf("with step=5: output %q, want %q", got, "8")
	}
	v, found, err := e.DB.Get("counter", "count")
	if err != nil || !found || string(v) != "8" {
		t.Errorf("stored count = %q, %v, %v; want \"8\"", v, found, err)
	}
	step := "-10"
	if l.Lenient {
		step = " -10 "
	}
	if got := run("counter", map[string]string{"step": step}); got != "-2" {
		t.Errorf("with step=%q: output %q, want %q", step, got, "-2")
	}
	// Each module name has its own namespace.
	if got := run("other", nil); got != "1" {
		t.Errorf("fresh namespace: output %q, want %q", got, "1")
	}

	check := func(what, got, want string) {
		t.Helper()
		if want != "" && got != want {
			t.Errorf("%s: error %q, want %q", what, got, want)
		}
	}
	check("bad step", e.TaskError(t, m, host.Request{Namespace: "counter", Config: map[string]string{"step": "x"}}), l.Messages.BadStep)

	// A value that another writer left in the store is checked, not trusted.
	if err := e.DB.Set("counter", "count", []byte("many"), 1<<20); err != nil {
		t.Fatal(err)
	}
	check("bad stored count", e.TaskError(t, m, host.Request{Namespace: "counter"}), l.Messages.BadStored)

	// Without a kv store every kv call is denied.
	bare := &Env{RT: NewRuntime(t, host.DefaultConfig())}
	m2 := l.compile(t, bare, "counter")
	check("no store", bare.TaskError(t, m2, host.Request{Namespace: "counter"}), l.Messages.NoStore)
}
