package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/config"
	"github.com/spf13/pflag"
)

// opts are the flags of the tests' command.
type opts struct {
	addr      string
	workers   int
	timeout   time.Duration
	noPreempt bool
	rates     []string
	config    string
}

func flagSet(o *opts) *pflag.FlagSet {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "")
	fs.IntVar(&o.workers, "workers", 0, "")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "")
	fs.BoolVar(&o.noPreempt, "no-preemption", false, "")
	fs.StringArrayVar(&o.rates, "rate", nil, "")
	fs.StringVar(&o.config, "config", "", "")
	return fs
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func load(t *testing.T, args []string, o config.Options) (*opts, *config.Config, error) {
	t.Helper()
	var op opts
	fs := flagSet(&op)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if o.Environ == nil {
		o.Environ = []string{}
	}
	o.Unbound = []string{"config"}
	c, err := config.Load(fs, o)
	return &op, c, err
}

func TestFormats(t *testing.T) {
	files := map[string]string{
		"c.yaml": "addr: 0.0.0.0:9000\nworkers: 3\ntimeout: 5s\nno-preemption: true\nrate:\n  - a=1\n  - b=2:4\n",
		"c.json": "{\"addr\": \"0.0.0.0:9000\",\n" + `"workers": 3, "timeout": "5s", "no-preemption": true, "rate": ["a=1", "b=2:4"]}`,
		"c.toml": "addr = \"0.0.0.0:9000\"\nworkers = 3\ntimeout = \"5s\"\nno-preemption = true\nrate = [\"a=1\", \"b=2:4\"]\n",
	}
	for name, text := range files {
		t.Run(name, func(t *testing.T) {
			o, c, err := load(t, nil, config.Options{File: writeFile(t, name, text)})
			if err != nil {
				t.Fatal(err)
			}
			if o.addr != "0.0.0.0:9000" || o.workers != 3 || o.timeout != 5*time.Second || !o.noPreempt ||
				strings.Join(o.rates, " ") != "a=1 b=2:4" {
				t.Errorf("options = %+v", *o)
			}
			v, _ := c.Get("workers")
			if v.Source != config.File || !strings.HasSuffix(v.Origin, name+":2") {
				t.Errorf("workers = %+v, want from %s:2", v, name)
			}
			if _, ok := c.Get("config"); ok {
				t.Error("the unbound flag has a key")
			}
		})
	}
}

func TestPrecedence(t *testing.T) {
	file := writeFile(t, "c.yaml", "addr: file:1\nworkers: 2\ntimeout: 2s\n")
	env := []string{"NEXUS_ADDR=env:1", "NEXUS_WORKERS=4", "NEXUS_RATE=a=1,b=2", "NEXUS_SERVER=http://x"}
	o, c, err := load(t, []string{"--addr", "flag:1"}, config.Options{File: file, Environ: env})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		value  string
		source config.Source
		origin string
	}{
		"addr":          {"flag:1", config.Flag, "--addr"},
		"workers":       {"4", config.Env, "NEXUS_WORKERS"},
		"rate":          {"a=1,b=2", config.Env, "NEXUS_RATE"},
		"timeout":       {"2s", config.File, file + ":3"},
		"no-preemption": {"false", config.Default, ""},
	}
	for key, w := range want {
		v, ok := c.Get(key)
		if !ok || v.Value != w.value || v.Source != w.source || v.Origin != filepath.ToSlash(w.origin) {
			t.Errorf("%s = %+v, want %+v", key, v, w)
		}
	}
	if o.addr != "flag:1" || o.workers != 4 || len(o.rates) != 2 {
		t.Errorf("options = %+v", *o)
	}
	if len(c.Values()) != 5 {
		t.Errorf("%d values, want 5", len(c.Values()))
	}
}

func TestOverrides(t *testing.T) {
	o, c, err := load(t, []string{"--workers", "1"}, config.Options{Overrides: map[string]any{"workers": 7.0, "rate": []any{"x=3"}}})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Get("workers"); v.Source != config.Runtime || o.workers != 7 || o.rates[0] != "x=3" {
		t.Errorf("workers = %+v, options %+v", v, *o)
	}
}

func TestRefused(t *testing.T) {
	cases := []struct {
		name, file, text string
		want             []string // in the error, in order
	}{
		{"unknown key", "c.yaml", "addr: x\n\nworkerz: 3\n", []string{`c.yaml:3: key "workerz"`, "unknown key"}},
		{"unknown keys in line order", "c.yaml", "zz: 1\naa: 2\n", []string{`c.yaml:1: key "zz"`, `c.yaml:2: key "aa"`}},
		{"unbound key", "c.yaml", "config: other.yaml\n", []string{`key "config"`, "unknown key"}},
		{"nested table", "c.toml", "[rate]\na = 1\n", []string{`key "rate.a"`, "unknown key"}},
		{"wrong type", "c.yaml", "addr: x\nworkers: many\n", []string{`c.yaml:2: key "workers"`, "invalid syntax"}},
		{"bool for duration", "c.json", "{\n  \"timeout\": true\n}", []string{`c.json:2: key "timeout"`}},
		{"list for a single value", "c.yaml", "addr: [a, b]\n", []string{`key "addr"`, "wants one value"}},
		{"table for a list", "c.yaml", "rate:\n  - {a: 1}\n", []string{`key "rate"`, "not a table"}},
		{"bad yaml", "c.yaml", "addr: [\n", []string{"c.yaml"}},
		{"bad json", "c.json", "{\n\"addr\": \"x\",\n}", []string{"c.json:3"}},
		{"bad extension", "c.ini", "addr=x\n", []string{"unknown format"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := load(t, nil, config.Options{File: writeFile(t, tc.file, tc.text)})
			if err == nil {
				t.Fatal("accepted")
			}
			msg, at := err.Error(), 0
			for _, w := range tc.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("error %q lacks %q (in order)", msg, w)
				}
				at += i
			}
		})
	}
	_, _, err := load(t, nil, config.Options{Environ: []string{"NEXUS_WORKERS=x"}})
	var ke *config.KeyError
	if !errors.As(err, &ke) || ke.Key != "workers" || ke.Origin != "NEXUS_WORKERS" {
		t.Errorf("bad environment value: %v", err)
	}
}

func TestEnvName(t *testing.T) {
	if got := config.EnvName("max-module-bytes"); got != "NEXUS_MAX_MODULE_BYTES" {
		t.Errorf("EnvName = %s", got)
	}
}
