package logbuf_test

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/logbuf"
)

// sink records what reaches the underlying writer, one entry per Write.
type sink struct {
	mu     sync.Mutex
	writes []string
	fail   error
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return 0, s.fail
	}
	s.writes = append(s.writes, string(p))
	return len(p), nil
}

func (s *sink) all() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.writes, ""), len(s.writes)
}

func TestHoldsUntilFlush(t *testing.T) {
	var out sink
	w := logbuf.New(&out, 0, time.Hour)
	for i := range 3 {
		fmt.Fprintf(w, "line %d\n", i)
	}
	if got, n := out.all(); n != 0 {
		t.Fatalf("written before a flush: %q", got)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, n := out.all(); got != "line 0\nline 1\nline 2\n" || n != 1 {
		t.Fatalf("after Flush: %d writes %q, want one write of three lines", n, got)
	}
}

func TestFlushInterval(t *testing.T) {
	var out sink
	w := logbuf.New(&out, 0, 10*time.Millisecond)
	defer w.Close()
	for round := range 2 { // the timer is armed again after a flush
		line := fmt.Sprintf("round %d\n", round)
		w.Write([]byte(line))
		deadline := time.Now().Add(10 * time.Second)
		for {
			if got, _ := out.all(); strings.HasSuffix(got, line) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: line not written by the flush interval", round)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func TestFullBufferKeepsLinesWhole(t *testing.T) {
	var out sink
	w := logbuf.New(&out, 64, time.Hour)
	var want strings.Builder
	for i := range 20 {
		line := fmt.Sprintf("line %02d %s\n", i, strings.Repeat("x", i))
		want.WriteString(line)
		if n, err := w.Write([]byte(line)); n != len(line) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	big := strings.Repeat("y", 100) + "\n" // larger than the buffer: written directly, after what was buffered
	want.WriteString(big)
	w.Write([]byte(big))
	w.Write([]byte("last\n"))
	want.WriteString("last\n")
	w.Close()
	got, n := out.all()
	if got != want.String() {
		t.Fatalf("output out of order or lost:\n%q\nwant\n%q", got, want.String())
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	for _, wr := range out.writes {
		if len(wr) > 64 && wr != big {
			t.Errorf("a write of %d bytes from a 64-byte buffer", len(wr))
		}
		if !strings.HasSuffix(wr, "\n") {
			t.Errorf("a line split between writes: %q", wr)
		}
	}
	if n >= 21 {
		t.Errorf("%d writes for 22 lines: not buffered", n)
	}
}

func TestZeroIntervalWritesAtOnce(t *testing.T) {
	var out sink
	w := logbuf.New(&out, 0, 0)
	w.Write([]byte("a\n"))
	w.Write([]byte("b\n"))
	if got, n := out.all(); got != "a\nb\n" || n != 2 {
		t.Fatalf("%d writes %q, want each line written as it came", n, got)
	}
}

func TestCloseFlushesAndWritesThrough(t *testing.T) {
	var out sink
	w := logbuf.New(&out, 0, time.Hour)
	w.Write([]byte("before\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("after\n"))
	if got, n := out.all(); got != "before\nafter\n" || n != 2 {
		t.Fatalf("%d writes %q", n, got)
	}
}

func TestWriteErrorReported(t *testing.T) {
	out := sink{fail: errors.New("disk full")}
	w := logbuf.New(&out, 0, time.Hour)
	w.Write([]byte("held\n"))
	if err := w.Flush(); err == nil || err.Error() != "disk full" {
		t.Fatalf("Flush = %v, want the writer's error", err)
	}

	// An error of a background flush is reported by the next Write, once.
	w = logbuf.New(&out, 0, time.Millisecond)
	w.Write([]byte("held\n"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := w.Write([]byte("more\n"))
		if err != nil {
			if err.Error() != "disk full" {
				t.Fatalf("Write = %v", err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the background flush's error was never reported")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestHandlerFlushesUrgentRecords(t *testing.T) {
	var out sink
	w := logbuf.New(&out, 0, time.Hour)
	log := slog.New(logbuf.Handler(slog.NewTextHandler(w, nil), w, slog.LevelWarn)).With("svc", "nexus")
	log.Info("request", "status", 200)
	if got, n := out.all(); n != 0 {
		t.Fatalf("info line written at once: %q", got)
	}
	log.WithGroup("g").Warn("slow", "ms", 900)
	got, _ := out.all()
	if !strings.Contains(got, "msg=request svc=nexus status=200\n") || !strings.Contains(got, "msg=slow svc=nexus g.ms=900\n") ||
		strings.Index(got, "msg=request") > strings.Index(got, "msg=slow") {
		t.Fatalf("after a warning, want both lines in order:\n%s", got)
	}
}

func TestConcurrentLinesStayWhole(t *testing.T) {
	var out sink
	w := logbuf.New(&out, 256, time.Millisecond)
	const writers, lines = 8, 500
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(w, "writer=%d line=%d %s\n", g, i, strings.Repeat("z", i%40))
			}
		})
	}
	wg.Wait()
	w.Close()
	got, _ := out.all()
	next := make([]int, writers)
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		var g, i int
		if _, err := fmt.Sscanf(l, "writer=%d line=%d ", &g, &i); err != nil || l != fmt.Sprintf("writer=%d line=%d %s", g, i, strings.Repeat("z", i%40)) {
			t.Fatalf("garbled line %q", l)
		}
		if i != next[g] {
			t.Fatalf("writer %d: line %d after %d", g, i, next[g]-1)
		}
		next[g]++
	}
	for g, n := range next {
		if n != lines {
			t.Errorf("writer %d: %d lines, want %d", g, n, lines)
		}
	}
}

func TestEmptyFlush(t *testing.T) {
	var out sink
	w := logbuf.New(&out, 0, time.Hour)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, n := out.all(); n != 0 {
		t.Fatal("an empty buffer was written")
	}
}
