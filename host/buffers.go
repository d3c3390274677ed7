package host

import "sync"

// capped is an append-only buffer that keeps at most limit bytes. Writes past
// the limit are dropped and recorded; the task stops at its next fuel slice
// (sliceBoundary). It is safe for concurrent use: the sandbox reads
// Exceeded while the guest writes.
type capped struct {
	mu       sync.Mutex
	buf      []byte
	limit    int64
	exceeded bool
}

// Write appends p if it fits. Past the limit it keeps what fits, reports
// the limit and returns a short count, so WASI writers see an error.
func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	room := c.limit - int64(len(c.buf))
	if int64(len(p)) <= room {
		c.buf = append(c.buf, p...)
		c.mu.Unlock()
		return len(p), nil
	}
	if room > 0 {
		c.buf = append(c.buf, p[:room]...)
	}
	c.exceeded = true
	c.mu.Unlock()
	return int(max(room, 0)), ErrOutputLimit
}

// Bytes returns the buffered bytes. The slice is valid until the next Write.
func (c *capped) Bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf
}

// Exceeded reports whether a write went past the limit.
func (c *capped) Exceeded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exceeded
}

// logSink is a capped buffer for task logs: past the limit lines are
// dropped silently (the guest keeps running) and a marker is appended once.
type logSink struct{ capped }

const truncatedMarker = "\n[log truncated]\n"

// Write implements io.Writer and never fails, so a chatty guest is not
// stopped by its own logs.
func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.exceeded {
		return len(p), nil
	}
	room := l.limit - int64(len(l.buf)) - int64(len(truncatedMarker))
	if int64(len(p)) <= room {
		l.buf = append(l.buf, p...)
		return len(p), nil
	}
	if room > 0 {
		l.buf = append(l.buf, p[:room]...)
	}
	l.buf = append(l.buf, truncatedMarker...)
	l.exceeded = true
	return len(p), nil
}
