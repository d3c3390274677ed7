package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/modules"
)

// TestCacheWarmRefused: a pure module uploaded with isolation=warm keeps
// state between tasks, so asking to cache its result is a 400.
func TestCacheWarmRefused(t *testing.T) {
	in, _ := startCached(t, 0)
	resp, data := do(t, http.MethodPost, in.URL+"/v1/modules/warm?isolation=warm", "application/wasm",
		readFile(t, "testdata/pure_echo.wasm"))
	var v modules.Version
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(data, &v) != nil || v.Isolation != host.IsolationWarm {
		t.Fatalf("upload with isolation=warm: %d %s", resp.StatusCode, data)
	}
	resp, data = invoke(t, in.URL, "warm", "cache_ttl=1m", []byte("x"))
	if resp.StatusCode != http.StatusBadRequest || errorCode(t, data) != "invalid_request" || !strings.Contains(string(data), "isolation=warm") {
		t.Fatalf("%d %s; want 400 invalid_request naming isolation=warm", resp.StatusCode, data)
	}
	if got := runs(t, in.URL, "warm"); got != 0 {
		t.Fatalf("the refused request ran %v tasks", got)
	}
	expectCache(t, in.URL, "warm", "", "x", "bypass", "x")
}
