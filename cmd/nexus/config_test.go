package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// configEntry is a key as nexus config show --json prints it.
type configEntry struct {
	Key, Value, Type, Source, Origin string
	List                             []string
	Reloadable                       bool
}

func writeConfig(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigShow(t *testing.T) {
	file := writeConfig(t, "nexus.toml", "workers = 2\nrate = [\"batch=5:10\"]\nqueue-capacity = 9\n")
	cmd := exec.Command(nexusBin, "config", "show", "--config", file, "--json")
	cmd.Env = append(os.Environ(), "NEXUS_QUEUE_CAPACITY=7", "NEXUS_LOG_LEVEL=debug")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var entries []configEntry
	if err := json.Unmarshal(out, &entries); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	got := map[string]configEntry{}
	for _, e := range entries {
		got[e.Key] = e
	}
	for key, want := range map[string]configEntry{
		"workers":        {Value: "2", Source: "file", Origin: file + ":1"},
		"rate":           {Value: "batch=5:10", Source: "file", Origin: file + ":2", Reloadable: true},
		"queue-capacity": {Value: "7", Source: "env", Origin: "NEXUS_QUEUE_CAPACITY"},
		"log-level":      {Value: "debug", Source: "env", Origin: "NEXUS_LOG_LEVEL", Reloadable: true},
		"addr":           {Value: "127.0.0.1:8080", Source: "default"},
	} {
		g := got[key]
		if g.Value != want.Value || g.Source != want.Source || g.Origin != filepath.ToSlash(want.Origin) || g.Reloadable != want.Reloadable {
			t.Errorf("%s = %+v, want %+v", key, g, want)
		}
	}
	if _, ok := got["config"]; ok {
		t.Error("--config is listed as a key")
	}
	// Every flag of serve but --config is a key.
	help, _ := exec.Command(nexusBin, "serve", "--help").Output()
	if n := strings.Count(string(help), "\n      --") + strings.Count(string(help), "\n  -"); n-2 != len(entries) {
		t.Errorf("serve has %d flags (but --config and --help), config show %d keys", n-2, len(entries))
	}
	yaml, err := exec.Command(nexusBin, "config", "show", "--config", file, "-o", "yaml").Output()
	if err != nil || !strings.Contains(string(yaml), "- key: workers\n  value: \"2\"\n") {
		t.Errorf("config show -o yaml: %v\n%s", err, yaml)
	}
}

func TestConfigCheck(t *testing.T) {
	ok := writeConfig(t, "good.yaml", "log-level: debug\nworkers: 2\ncache-bytes: 64MiB\nrate:\n  - batch=5\n")
	if out, err := exec.Command(nexusBin, "config", "check", ok).CombinedOutput(); err != nil || !strings.Contains(string(out), "ok") {
		t.Errorf("a good file: %v: %s", err, out)
	}
	for _, c := range []struct{ name, text, want string }{
		{"unknown.yaml", "workers: 2\nworkerz: 3\n", `unknown.yaml:2: key "workerz": config: unknown key`},
		{"type.yaml", "log-level: info\nworkers: many\n", `type.yaml:2: key "workers"`},
		{"size.json", "{\n  \"cache-bytes\": \"lots\"\n}", `size.json:2: key "cache-bytes"`},
		{"value.toml", "log-level = \"loud\"\n", `--log-level: slog: level string "loud": unknown name (key "log-level", set by`},
		{"rate.yaml", "rate: [batch]\n", `--rate "batch": want CATEGORY=PER_SECOND[:BURST] (key "rate", set by`},
		{"node.yaml", "\n\ncache-bytes: -1\n", `--cache-bytes: `},
	} {
		file := writeConfig(t, c.name, c.text)
		out, err := exec.Command(nexusBin, "config", "check", file).CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("%s: %v: %s\nwant %q", c.name, err, out, c.want)
		}
	}
	// nexus serve refuses the same file before it starts.
	file := writeConfig(t, "serve.yaml", "workers: 2\nworkerz: 3\n")
	out, err := exec.Command(nexusBin, "serve", "--config", file, "--data-dir", t.TempDir()).CombinedOutput()
	if err == nil || !strings.Contains(string(out), `serve.yaml:2: key "workerz"`) {
		t.Errorf("serve with an unknown key: %v: %s", err, out)
	}
}

// patchConfig sends PATCH /v1/config and returns the status and body.
func patchConfig(t *testing.T, d *daemon, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPatch, d.url+"/v1/config", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// runningValue returns key's value in GET /v1/config.
func runningValue(t *testing.T, d *daemon, key string) string {
	t.Helper()
	res, err := http.Get(d.url + "/v1/config")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct{ Values []configEntry }
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	for _, v := range body.Values {
		if v.Key == key {
			return v.Value
		}
	}
	t.Fatalf("no key %s in GET /v1/config", key)
	return ""
}

func TestServeReconfigure(t *testing.T) {
	file := writeConfig(t, "nexus.yaml", "retention: 1h\nrequest-log: errors\n")
	d := startDaemon(t, t.TempDir(), "--config", file)
	if out, err := nexus(t, d, "healthcheck"); err != nil || out != "ready\n" {
		t.Errorf("healthcheck: %v: %q", err, out)
	}

	status, body := patchConfig(t, d, `{"log-level": "debug", "rate": ["batch=5:10"], "cache-bytes": "64MiB"}`)
	if status != 200 || !strings.Contains(body, `{"key":"log-level","old":"info","new":"debug"}`) {
		t.Fatalf("PATCH: %d %s", status, body)
	}
	d.waitLog(t, "msg=\"configuration changed\" key=log-level old=info new=debug source=runtime")
	// Each change is a config.changed event.
	res, err := http.Get(d.url + "/v1/events?type=config.changed")
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{`"type":"config.changed"`, `"key":"log-level"`, `"old":"info","new":"debug","source":"runtime","by":"PATCH /v1/config"`} {
		if !strings.Contains(string(evs), want) {
			t.Errorf("GET /v1/events?type=config.changed lacks %s:\n%s", want, evs)
		}
	}
	if got := runningValue(t, d, "cache-bytes"); got != "64MiB" {
		t.Errorf("cache-bytes = %s after PATCH", got)
	}
	for _, c := range []struct{ body, want string }{
		{`{"addr": "127.0.0.1:1", "workers": 2, "log-level": "warn"}`, "addr, workers"},
		{`{"log-level": "loud"}`, "log-level"},
		{`{"rate": "batch"}`, "--rate"},
		{`{"cache-bytes": 0}`, "cache-bytes"},
		{`[1]`, "JSON object"},
	} {
		status, body := patchConfig(t, d, c.body)
		if status != 400 || !strings.Contains(body, `"code":"invalid_request"`) || !strings.Contains(body, c.want) {
			t.Errorf("PATCH %s: %d %s, want 400 naming %s", c.body, status, body, c.want)
		}
	}
	if got := runningValue(t, d, "log-level"); got != "debug" {
		t.Errorf("log-level = %s after refused patches", got)
	}

	// SIGHUP re-reads the file: its changes apply, the patches are gone.
	if err := os.WriteFile(file, []byte("retention: 2h\nrequest-log: errors\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	d.waitLog(t, "msg=\"configuration changed\" key=retention old=1h0m0s new=2h0m0s source=file by=SIGHUP",
		"msg=\"configuration changed\" key=log-level old=debug new=info source=default by=SIGHUP")

	// A bad file, or one that changes a key that cannot change, keeps
	// the running configuration.
	for _, text := range []string{"retention: soon\n", "retention: 3h\nworkers: 1\n"} {
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		n := strings.Count(d.log(), "configuration reload refused")
		d.cmd.Process.Signal(syscall.SIGHUP)
		for strings.Count(d.log(), "configuration reload refused") == n {
			d.waitLog(t, "configuration reload refused")
		}
		if got := runningValue(t, d, "retention"); got != "2h0m0s" {
			t.Errorf("retention = %s after a refused reload of %q", got, text)
		}
	}
	if !strings.Contains(d.log(), "cannot change without a restart: workers") {
		t.Errorf("the refused reload does not name workers:\n%s", d.log())
	}
	d.stop(t, syscall.SIGTERM)
}
