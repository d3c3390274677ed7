package main_test

import (
	"strings"
	"testing"
)

// TestPushIsolation pushes the Go echo reactor with --isolation warm to the
// real binary's server and reads the setting and the snapshot status back.
func TestPushIsolation(t *testing.T) {
	d := startDaemon(t, t.TempDir())
	mustf(t)(nexus(t, d, "module", "push", "--isolation", "warm", "goecho", "../../examples/go/echoreactor/echoreactor.wasm"))
	out := mustf(t)(nexus(t, d, "module", "get", "--json", "goecho"))
	if !strings.Contains(out, `"isolation":"warm"`) || !strings.Contains(out, `"snapshot":"snapshot"`) {
		t.Fatalf("module get: %s", out)
	}
	if out := mustf(t)(nexusIn(t, d, []byte("hi"), "invoke", "goecho", "--input", "-")); !strings.Contains(out, "hi") {
		t.Fatalf("invoke: %q", out)
	}
	if _, err := nexus(t, d, "module", "push", "--isolation", "shared", "other", "../../examples/wat/echo.wasm"); err == nil {
		t.Fatal("--isolation shared was accepted")
	}
}
