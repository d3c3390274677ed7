// Package logbuf gathers log lines into fewer, larger writes.
//
// A server that logs every request writes a line per request: at tens of
// thousands of requests per second that is as many write system calls,
// and as many reads by whatever takes the log (a terminal, journald, a
// pipe to a collector). A Writer keeps the lines in a buffer and writes
// them out together when the buffer fills, when a line has waited for the
// flush interval, or at once when Handler sees a record at or above its
// level, the way nginx's access_log buffer= and flush= do.
//
// The cost is that lines still in the buffer are lost if the process is
// killed (SIGKILL, a fatal runtime error): at most one flush interval of
// lines below the urgent level. Close writes what is left.
package logbuf

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// DefaultSize is the buffer size of a Writer made with size 0.
const DefaultSize = 64 << 10

// Writer is an io.Writer that buffers what it is given for at most its
// flush interval. Each Write is kept whole: a line written with one call
// is written out with one call, never split between two flushes unless it
// is larger than the buffer, in which case it is written directly. It is
// safe for concurrent use.
type Writer struct {
	out      io.Writer
	interval time.Duration

	mu     sync.Mutex
	buf    []byte
	timer  *time.Timer // flushes buf interval after its first line; nil until then
	armed  bool        // timer is pending
	closed bool
	err    error // the first error writing to out, reported by the next Write
}

// New returns a Writer that writes to out in chunks of up to size bytes
// (DefaultSize if size is 0), holding a line at most interval. An interval
// of 0 or less writes every line at once: the Writer then only serialises
// writes to out.
func New(out io.Writer, size int, interval time.Duration) *Writer {
	if size <= 0 {
		size = DefaultSize
	}
	w := &Writer{out: out, interval: interval}
	if interval > 0 {
		w.buf = make([]byte, 0, size)
	}
	return w
}

// Write buffers p, first writing out what is buffered if p does not fit.
// It reports the error of an earlier write to the underlying writer once.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.err; err != nil {
		w.err = nil
		return 0, err
	}
	if w.closed || cap(w.buf) == 0 {
		return w.out.Write(p)
	}
	if len(w.buf)+len(p) > cap(w.buf) {
		if err := w.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > cap(w.buf) {
			return w.out.Write(p)
		}
	}
	w.buf = append(w.buf, p...)
	if !w.armed {
		w.armed = true
		if w.timer == nil {
			w.timer = time.AfterFunc(w.interval, w.flushTimer)
		} else {
			w.timer.Reset(w.interval)
		}
	}
	return len(p), nil
}

// Flush writes out what is buffered.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

// Close writes out what is buffered and makes later writes go straight
// to the underlying writer. It does not close the underlying writer.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.timer != nil {
		w.timer.Stop()
		w.armed = false
	}
	return w.flushLocked()
}

func (w *Writer) flushTimer() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.armed = false
	if err := w.flushLocked(); err != nil && w.err == nil {
		w.err = err
	}
}

func (w *Writer) flushLocked() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.out.Write(w.buf)
	w.buf = w.buf[:0]
	return err
}

// Handler returns a slog.Handler that logs through h and flushes w after
// every record at or above urgent, so that warnings and errors, and every
// line before them, are written when they are logged. h must write to w.
func Handler(h slog.Handler, w *Writer, urgent slog.Level) slog.Handler {
	return &handler{Handler: h, w: w, urgent: urgent}
}

type handler struct {
	slog.Handler
	w      *Writer
	urgent slog.Level
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= h.urgent {
		if ferr := h.w.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &handler{Handler: h.Handler.WithAttrs(attrs), w: h.w, urgent: h.urgent}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{Handler: h.Handler.WithGroup(name), w: h.w, urgent: h.urgent}
}
