package main_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestInvokeExitStatus checks the exit status of nexus invoke for each kind
// of outcome, as README's "Exit status" table lists them.
func TestInvokeExitStatus(t *testing.T) {
	must := mustf(t)
	d := startDaemon(t, t.TempDir())
	for name, file := range map[string]string{
		"exit3": "../../host/testdata/exit3.wasm", "exit33": "testdata/exit33.wasm",
		"exit256": "testdata/exit256.wasm", "loop": "../../host/testdata/loop.wasm",
		"printfail": "../../server/testdata/printfail.wasm",
	} {
		must(nexus(t, d, "module", "push", name, file))
	}
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"guest exit 3", []string{"invoke", "exit3"}, 3, "exit_nonzero"},
		{"guest exit 33", []string{"invoke", "exit33"}, 33, "exit_nonzero"},
		{"guest exit 256 is not truncated to 0", []string{"invoke", "exit256"}, 2, "exit_nonzero"},
		{"other task failure", []string{"invoke", "loop", "--timeout", "50ms"}, 2, "timeout"},
		{"what the guest printed before exiting", []string{"invoke", "printfail", "-d", "printed first"}, 7,
			"logs:\nfailing now\noutput:\nprinted first"},
		{"what the guest printed before trapping", []string{"invoke", "printfail", "-d", "tprinted first"}, 2,
			"logs:\nfailing now\noutput:\ntprinted first"},
		{"request error", []string{"invoke", "nope"}, 1, "module_not_found"},
		{"unreachable server", []string{"invoke", "exit3", "--server", "127.0.0.1:1"}, 3, "connection refused"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := nexus(t, d, c.args...)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != c.code || !strings.Contains(out, c.want) {
				t.Fatalf("%v: want exit status %d and %q: %s", err, c.code, c.want, out)
			}
		})
	}
}

func TestInvokeHelpListsExitStatus(t *testing.T) {
	out, err := exec.Command(nexusBin, "invoke", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Exit status:") || !strings.Contains(string(out), "exited with code N") {
		t.Fatalf("%v: %s", err, out)
	}
}
