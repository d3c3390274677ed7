package cache

import (
	"errors"
	"testing"
)

func TestSpecKey(t *testing.T) {
	base := Spec{Module: "m", Digest: "sha256:aa", Profile: "nexus-v1", Input: []byte("in"),
		Config: map[string]string{"a": "1", "b": "2"}, Env: []string{"K=V"}, Args: []string{"x"},
		Fuel: 1000, MemoryBytes: 1 << 20}
	k := base.Key()
	if _, err := ParseKey(string(k)); err != nil {
		t.Fatalf("Key() = %q does not parse: %v", k, err)
	}
	same := base
	same.Config = map[string]string{"b": "2", "a": "1"}
	same.Input = []byte("in")
	if same.Key() != k {
		t.Fatal("equal specs have different keys")
	}
	for name, change := range map[string]func(*Spec){
		"module":        func(s *Spec) { s.Module = "n" },
		"digest":        func(s *Spec) { s.Digest = "sha256:ab" },
		"profile":       func(s *Spec) { s.Profile = "wasi-command" },
		"input":         func(s *Spec) { s.Input = []byte("in2") },
		"no input":      func(s *Spec) { s.Input = nil },
		"config value":  func(s *Spec) { s.Config = map[string]string{"a": "1", "b": "3"} },
		"config split":  func(s *Spec) { s.Config = map[string]string{"a": "1b", "": "2"} },
		"env":           func(s *Spec) { s.Env = []string{"K=W"} },
		"env to args":   func(s *Spec) { s.Env, s.Args = nil, []string{"K=V", "x"} },
		"args split":    func(s *Spec) { s.Args = []string{"", "x"} },
		"scratch":       func(s *Spec) { s.Scratch = true },
		"scratch bytes": func(s *Spec) { s.ScratchBytes = 1 },
		"fuel":          func(s *Spec) { s.Fuel = 1001 },
		"memory":        func(s *Spec) { s.MemoryBytes = 2 << 20 },
		"module/digest": func(s *Spec) { s.Module, s.Digest = "msha256:aa", "" },
	} {
		s := base
		change(&s)
		if s.Key() == k {
			t.Errorf("%s: changing it does not change the key", name)
		}
	}
}

func TestParseKeyAndTTL(t *testing.T) {
	for _, bad := range []string{"", "abc", string(make([]byte, 64))} {
		if _, err := ParseKey(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseKey(%q): %v", bad, err)
		}
	}
	for in, want := range map[string]string{"1500": "1.5s", "90s": "1m30s", "720h": "720h0m0s", "1ms": "1ms"} {
		if d, err := ParseTTL(in); err != nil || d.String() != want {
			t.Errorf("ParseTTL(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, bad := range []string{"0", "-5", "0s", "-1m", "721h", "2592000001", "soon", ""} {
		if _, err := ParseTTL(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseTTL(%q): %v, want ErrInvalid", bad, err)
		}
	}
}

func TestCheckCacheable(t *testing.T) {
	if err := CheckCacheable("m", 1, true, false, false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ pure, warm, nondet bool }{{false, false, false}, {true, true, false}, {true, false, true}, {false, true, true}} {
		if err := CheckCacheable("m", 1, c.pure, c.warm, c.nondet); !errors.Is(err, ErrNotCacheable) {
			t.Errorf("pure %v, warm %v, nondeterministic %v: %v", c.pure, c.warm, c.nondet, err)
		}
	}
}
