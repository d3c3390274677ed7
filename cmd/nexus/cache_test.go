package main_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/nexustask/nexus/cache"
)

// TestInvokeCacheTTL runs the real binary: nexus serve with its default
// result cache, and nexus invoke --cache-ttl twice, reading the cache
// header that -v prints.
func TestInvokeCacheTTL(t *testing.T) {
	d := startDaemon(t, t.TempDir())
	mustf(t)(nexus(t, d, "module", "push", "pecho", "../../server/testdata/pure_echo.wasm"))
	invoke := func(want string) {
		t.Helper()
		cmd := exec.Command(nexusBin, "invoke", "pecho", "--data", "cached", "--cache-ttl", "1m", "--tag", "cli", "-v")
		cmd.Env = append(os.Environ(), "NEXUS_SERVER="+d.url)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil || out.String() != "cached" || !strings.Contains(errb.String(), "X-Nexus-Cache: "+want) {
			t.Fatalf("invoke: %v, stdout %q, stderr:\n%s\nwant X-Nexus-Cache: %s", err, out.String(), errb.String(), want)
		}
	}
	invoke("miss")
	invoke("hit")
	resp, err := http.Get(d.url + "/v1/cache/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s cache.Stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	if s.Hits != 1 || s.Misses != 1 || s.Entries != 1 || s.MaxBytes != cache.DefaultMaxBytes {
		t.Fatalf("stats %+v", s)
	}
}
