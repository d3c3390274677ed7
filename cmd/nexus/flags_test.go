package main

import (
	"strings"
	"testing"
)

// parse finds the command args name (as a user types it) in a fresh
// command tree and parses its flags, returning the command's flag values
// by name.
func parse(t *testing.T, args []string) (map[string]string, error) {
	t.Helper()
	root := newRootCmd()
	cmd, rest, err := root.Find(args)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return nil, err
	}
	values := map[string]string{}
	for _, name := range []string{"data", "input", "priority", "category", "memory", "fuel", "timeout", "queue-timeout",
		"version", "cache-ttl", "json", "max-memory", "max-module-bytes", "max-fuel", "memory-budget"} {
		if f := cmd.Flags().Lookup(name); f != nil {
			values[name] = f.Value.String()
		}
	}
	return values, nil
}

// TestSharedFlags: invoke, task submit and schedule add (also spelled
// schedule create) take the same flags for the same things, with the same
// units; the old spellings still work as hidden aliases.
func TestSharedFlags(t *testing.T) {
	commands := [][]string{{"invoke", "m"}, {"task", "submit", "m"}, {"schedule", "add", "s"}, {"schedule", "create", "s"}}
	// --json is everywhere a command prints the server's answer.
	for _, c := range [][]string{{"module", "ls"}, {"module", "push", "m", "f"}, {"task", "ls"}, {"task", "cancel", "x"}, {"schedule", "ls"}} {
		if got, err := parse(t, append(c, "--json")); err != nil || got["json"] != "true" {
			t.Errorf("%q --json: %v %v", c, got["json"], err)
		}
	}
	for _, c := range commands {
		for _, tc := range []struct {
			flags []string
			name  string
			want  string
		}{
			{[]string{"-d", "text"}, "data", "text"},
			{[]string{"--data", "text"}, "data", "text"},
			{[]string{"--input-string", "text"}, "data", "text"}, // old nexus task submit spelling
			{[]string{"-i", "in.txt"}, "input", "in.txt"},
			{[]string{"--input", "-"}, "input", "-"},
			{[]string{"--priority", "7"}, "priority", "7"},
			{[]string{"--category", "batch"}, "category", "batch"},
			{[]string{"--memory", "64MiB"}, "memory", "64MiB"},
			{[]string{"--memory", "67108864"}, "memory", "64MiB"},
			{[]string{"--memory", "1.5GiB"}, "memory", "1536MiB"},
			{[]string{"--memory", "10MB"}, "memory", "10000000"},
			{[]string{"--memory", "100000"}, "memory", "100000"},
			{[]string{"--fuel", "1e9"}, "fuel", "1e9"},
			{[]string{"--fuel", "2500000"}, "fuel", "2500000"},
			{[]string{"--timeout", "1m30s"}, "timeout", "1m30s"},
			{[]string{"--queue-timeout", "250ms"}, "queue-timeout", "250ms"},
			{[]string{"--version", "2"}, "version", "2"},
			{[]string{"--cache-ttl", "5m"}, "cache-ttl", "5m"},
			{[]string{"--json"}, "json", "true"},
		} {
			args := append(append([]string(nil), c...), tc.flags...)
			got, err := parse(t, args)
			if err != nil {
				t.Errorf("%q: %v", args, err)
				continue
			}
			if got[tc.name] != tc.want {
				t.Errorf("%q: --%s is %q, want %q", args, tc.name, got[tc.name], tc.want)
			}
		}
		for _, bad := range [][]string{{"--memory", "64XB"}, {"--memory", "lots"}, {"--fuel", "1.5"}, {"--fuel", "-3"}, {"--timeout", "5"}} {
			args := append(append([]string(nil), c...), bad...)
			if _, err := parse(t, args); err == nil {
				t.Errorf("%q: accepted", args)
			}
		}
	}
}

// TestServeFlagUnits: nexus serve reads its sizes and fuel budgets in the
// same units as the client commands, and its durations as Go durations.
func TestServeFlagUnits(t *testing.T) {
	for _, tc := range []struct {
		flags []string
		name  string
		want  string
	}{
		{nil, "memory", "64MiB"},
		{nil, "max-memory", "4GiB"},
		{nil, "fuel", "1e10"},
		{nil, "max-module-bytes", "32MiB"},
		{[]string{"--memory", "128MiB"}, "memory", "128MiB"},
		{[]string{"--memory", "134217728"}, "memory", "128MiB"},
		{[]string{"--max-memory", "1GiB"}, "max-memory", "1GiB"},
		{[]string{"--memory-budget", "8G"}, "memory-budget", "8GiB"},
		{[]string{"--max-module-bytes", "1MB"}, "max-module-bytes", "1000000"},
		{[]string{"--fuel", "1e9"}, "fuel", "1e9"},
		{[]string{"--max-fuel", "5000000000"}, "max-fuel", "5e9"},
		{[]string{"--timeout", "2m"}, "timeout", "2m0s"},
	} {
		args := append([]string{"serve"}, tc.flags...)
		got, err := parse(t, args)
		if err != nil {
			t.Errorf("%q: %v", args, err)
			continue
		}
		if got[tc.name] != tc.want {
			t.Errorf("%q: --%s is %q, want %q", args, tc.name, got[tc.name], tc.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  string
	}{
		{"0", 0, ""}, {"4096", 4096, ""}, {"64MiB", 64 << 20, ""}, {"64M", 64 << 20, ""}, {"64MB", 64e6, ""},
		{"512KiB", 512 << 10, ""}, {"2GiB", 2 << 30, ""}, {"1TiB", 1 << 40, ""}, {"1.5KiB", 1536, ""}, {"100B", 100, ""},
		{"-1", -1, ""}, {" 8 MiB ", 8 << 20, ""},
		{"", 0, "want bytes"}, {"MiB", 0, "want bytes"}, {"1.3B", 0, "whole number"}, {"9000000TiB", 0, "too large"},
		{"NaN", 0, "want bytes"}, {"Inf", 0, "want bytes"},
	} {
		got, err := parseSize(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseSize(%q) = %d, %v; want an error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, n := range []int64{0, 1, 1000, 1 << 10, 3 << 20, 64 << 20, 4 << 30, 5 << 40, 123456789} {
		if got, err := parseSize(formatSize(n)); err != nil || got != n {
			t.Errorf("formatSize(%d) = %q reads back as %d, %v", n, formatSize(n), got, err)
		}
	}
}

func TestParseCount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1000000", 1e6, true}, {"1e9", 1e9, true}, {"2.5e6", 2.5e6, true},
		{"1.5", 0, false}, {"-1", 0, false}, {"1e30", 0, false}, {"lots", 0, false}, {"", 0, false},
	} {
		got, err := parseCount(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseCount(%q) = %d, %v", tc.in, got, err)
		}
	}
	for _, n := range []int64{0, 7, 1e6, 1e10, 2e9, 1234567} {
		if got, err := parseCount(formatCount(n)); err != nil || got != n {
			t.Errorf("formatCount(%d) = %q reads back as %d, %v", n, formatCount(n), got, err)
		}
	}
}
