package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/nexustask/nexus/client"
)

// TestProgress draws a task's progress as nexus task wait does: on a
// terminal a bar that follows it and is erased at the end; anywhere else
// (a file, a pipe) nothing, so no carriage return or escape code reaches
// redirected output.
func TestProgress(t *testing.T) {
	states := []client.Task{
		{ID: "t1", State: client.State("queued")},
		{ID: "t1", State: client.State("running"), Progress: [2]int64{1, 4}},
		{ID: "t1", State: client.State("running"), Progress: [2]int64{3, 4}},
	}
	var redirected bytes.Buffer
	p := newProgress(&redirected, false)
	for i := range states {
		p.draw(&states[i])
	}
	p.finish()
	if redirected.Len() != 0 {
		t.Fatalf("redirected output got %q", redirected.String())
	}
	if isTerminal(&redirected) {
		t.Fatal("a bytes.Buffer is a terminal")
	}

	var tty bytes.Buffer
	p = newProgress(&tty, true)
	var drawn []string
	for i := range states {
		p.draw(&states[i])
		drawn = append(drawn, tty.String())
	}
	if !strings.Contains(drawn[0], "queued") {
		t.Errorf("before a total: %q", drawn[0])
	}
	for i, want := range []string{"25%", "(1/4)", "running"} {
		if !strings.Contains(drawn[1], want) {
			t.Errorf("at 1/4, no %q (%d): %q", want, i, drawn[1])
		}
	}
	if last := drawn[2][len(drawn[1]):]; !strings.Contains(last, "75%") || !strings.Contains(last, "(3/4)") || !strings.Contains(last, "\r") {
		t.Errorf("at 3/4, not redrawn in place: %q", last)
	}
	n := tty.Len()
	p.finish()
	if erase := tty.String()[n:]; strings.TrimSpace(erase) != "" || !strings.HasSuffix(erase, "\r") {
		t.Errorf("finish wrote %q, want the line blanked", erase)
	}
}
