package main_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestConformanceCleansUp runs the suite against a server and checks that
// it leaves none of its conf-* modules behind, whether the cases passed or
// failed, and keeps the modules it did not upload.
func TestConformanceCleansUp(t *testing.T) {
	must := mustf(t)
	d := startDaemon(t, t.TempDir())
	must(nexus(t, d, "module", "push", "echo", "../../examples/wat/echo.wasm"))
	must(nexus(t, d, "module", "push", "conf-mine", "../../examples/wat/echo.wasm"))

	out := must(nexus(t, d, "conformance", "--lang", "wat"))
	if !strings.Contains(out, " passed, 0 failed") {
		t.Fatalf("passing run: %s", out)
	}
	checkOnly(t, d, "after a passing run")

	// echo is not a conformance guest: its cases fail.
	out, err := nexus(t, d, "conformance", "--module", "../../examples/wat/echo.wasm")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(out, "conformance results failed") {
		t.Fatalf("failing run: %v: %s", err, out)
	}
	checkOnly(t, d, "after a failing run")
}

// checkOnly fails t unless the server's modules are echo and conf-mine.
func checkOnly(t *testing.T, d *daemon, when string) {
	t.Helper()
	out := mustf(t)(nexus(t, d, "module", "ls"))
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		names = append(names, strings.Fields(line)[0])
	}
	if strings.Join(names, " ") != "conf-mine echo" {
		t.Fatalf("%s, modules %v:\n%s", when, names, out)
	}
}
