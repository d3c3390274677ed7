package main_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestServeResetLeak: on the real binary's server, a task of a snapshotted
// module writes a secret into memory, a data segment's bytes and globals;
// the next task of the module runs in the same instance, reset, and finds
// none of it, as /metrics counts (nexus_instances_total{source="reset"}).
func TestServeResetLeak(t *testing.T) {
	d := startDaemon(t, t.TempDir())
	mustf(t)(nexus(t, d, "module", "push", "leak", "../../host/testdata/reset_leak.wasm"))
	want := mustf(t)(nexus(t, d, "invoke", "leak", "--data", "read"))
	for i := 0; i < 3; i++ {
		mustf(t)(nexus(t, d, "invoke", "leak", "--data", "write:SECRET-0123456789"))
		if got := mustf(t)(nexus(t, d, "invoke", "leak", "--data", "read")); got != want || strings.Contains(got, "SECRET") {
			t.Fatalf("round %d: read %q after a write, %q before any", i, got, want)
		}
	}
	resp, err := http.Get(d.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`(?m)^nexus_instances_total\{source="reset"\} (\d+)$`).FindSubmatch(body)
	if m == nil || string(m[1]) == "0" {
		t.Fatalf("no task ran in a reset instance:\n%s", body)
	}
	if !strings.Contains(string(body), `nexus_instance_reset_fallbacks_total{reason="table_write"} 0`) {
		t.Fatalf("fallback reasons missing:\n%s", body)
	}
}
