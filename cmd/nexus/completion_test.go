package main_test

import (
	"os/exec"
	"strings"
	"testing"
)

func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{
		"bash": "# bash completion V2 for nexus",
		"zsh":  "#compdef nexus",
		"fish": "# fish completion for nexus",
	} {
		out, err := exec.Command(nexusBin, "completion", shell).Output()
		if err != nil || !strings.HasPrefix(string(out), want) {
			t.Errorf("completion %s: %v: %.80q", shell, err, out)
		}
	}
	// Completion knows the commands and serve's flags.
	out, err := exec.Command(nexusBin, "__complete", "serve", "--conf").Output()
	if err != nil || !strings.Contains(string(out), "--config") {
		t.Errorf("__complete serve --conf: %v: %s", err, out)
	}
}

func TestHealthcheckRefused(t *testing.T) {
	out, err := exec.Command(nexusBin, "healthcheck", "--server", "127.0.0.1:1").CombinedOutput()
	if err == nil {
		t.Errorf("healthcheck of no server succeeded: %s", out)
	}
}
