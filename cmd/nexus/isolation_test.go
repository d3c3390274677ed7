package main_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPushIsolation pushes the Go echo reactor with --isolation warm to the
// real binary's server and reads the setting and the snapshot status back.
func TestPushIsolation(t *testing.T) {
	// Snapshotting the 2.6 MB Go module compiles it again; on a loaded
	// machine that takes longer than the default compile timeout.
	d := startDaemon(t, t.TempDir(), "--compile-timeout", "5m")
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

// TestServeReadyInstances: with --ready-instances, tasks of a snapshotted
// module take instances made ahead, as /metrics counts.
func TestServeReadyInstances(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "--ready-instances", "2", "--compile-timeout", "5m")
	mustf(t)(nexus(t, d, "module", "push", "goecho", "../../examples/go/echoreactor/echoreactor.wasm"))
	ready := regexp.MustCompile(`(?m)^nexus_instances_total\{source="ready"\} (\d+)$`)
	var body []byte
	for i := 0; i < 200; i++ {
		if out := mustf(t)(nexus(t, d, "invoke", "goecho", "--data", "hi")); out != "hi" {
			t.Fatalf("invoke: %q", out)
		}
		resp, err := http.Get(d.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if m := ready.FindSubmatch(body); m != nil && string(m[1]) != "0" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no task took a ready instance:\n%s", body)
}

// TestInvokeArgsAndEnv: nexus invoke passes --arg and --env, and only
// them, to a wasi-command task (argv[0] is the module's name).
func TestInvokeArgsAndEnv(t *testing.T) {
	d := startDaemon(t, t.TempDir())
	mustf(t)(nexus(t, d, "module", "push", "probe", "../../host/testdata/wasiprobe.wasm"))
	out := mustf(t)(nexus(t, d, "invoke", "probe", "--data", "info", "--arg", "one", "--arg", "two", "--env", "K=V"))
	if !strings.Contains(out, `"args":["probe","one","two"]`) || !strings.Contains(out, `"env":["K=V"]`) {
		t.Fatalf("with --arg and --env: %s", out)
	}
	out = mustf(t)(nexus(t, d, "invoke", "probe", "--data", "info"))
	if !strings.Contains(out, `"args":["probe"]`) || !strings.Contains(out, `"env":[]`) {
		t.Fatalf("without: %s", out)
	}
}
