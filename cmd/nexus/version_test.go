package main_test

import (
	"errors"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := exec.Command(nexusBin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v: %s", args, err, out)
		}
		// The tests build without VCS stamping, so the version is "(devel)"
		// unless a stamped build reports a module version.
		s := strings.TrimSpace(string(out))
		if !strings.HasPrefix(s, "nexus ") || !strings.Contains(s, " "+runtime.Version()+" wazero v1.") || strings.Contains(s, "\n") {
			t.Errorf("%v: %q", args, s)
		}
	}
}

func TestMissingArgumentPrintsUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"invoke"}, "invoke: missing argument NAME"},
		{[]string{"invoke", "a", "b"}, `invoke: unexpected argument "b" (wants NAME)`},
	} {
		out, err := exec.Command(nexusBin, c.args...).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), c.want) ||
			!strings.Contains(string(out), "Usage:\n  nexus invoke NAME [flags]") {
			t.Errorf("%v: %v: %s", c.args, err, out)
		}
	}
}
