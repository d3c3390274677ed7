package tasks_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nexustask/nexus/internal/tasks"
)

func TestOutputTail(t *testing.T) {
	n := tasks.OutputTailBytes
	for _, tc := range []struct {
		name      string
		out       string
		want      string
		truncated bool
	}{
		{"empty", "", "", false},
		{"short", "hello", "hello", false},
		{"exactly the bound", strings.Repeat("a", n), strings.Repeat("a", n), false},
		{"one past", "b" + strings.Repeat("a", n), strings.Repeat("a", n), true},
		{"long", strings.Repeat("x", 3*n) + "end", strings.Repeat("x", n-3) + "end", true},
		// "é" is 2 bytes: a cut through it starts after it.
		{"utf-8 boundary", strings.Repeat("é", n), strings.Repeat("é", n/2), true},
		{"utf-8 cut", "z" + strings.Repeat("é", n/2) + "z", strings.Repeat("é", n/2-1) + "z", true},
	} {
		tail, cut := tasks.OutputTail([]byte(tc.out))
		if string(tail) != tc.want || cut != tc.truncated {
			t.Errorf("%s: %d bytes, truncated %v; want %d bytes, %v", tc.name, len(tail), cut, len(tc.want), tc.truncated)
		}
		if len(tail) > n || !bytes.HasSuffix([]byte(tc.out), tail) {
			t.Errorf("%s: the tail is not the end of the output within the bound", tc.name)
		}
		if utf8.ValidString(tc.out) && !utf8.Valid(tail) {
			t.Errorf("%s: the tail of text is not text", tc.name)
		}
	}
	// Binary output with no character boundary near the cut is cut at the
	// bound.
	bin := bytes.Repeat([]byte{0x80}, 2*n)
	if tail, cut := tasks.OutputTail(bin); len(tail) != n || !cut {
		t.Errorf("binary: %d bytes, %v", len(tail), cut)
	}
}
