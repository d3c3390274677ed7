package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/nexustask/nexus/internal/errcode"
)

// Defaults of the request-body deadline (Config.BodyTimeout and
// Config.MinBodyRate).
const (
	// DefaultBodyTimeout is the grace a request body starts with, and the
	// longest it may go without a byte arriving.
	DefaultBodyTimeout = 60 * time.Second
	// DefaultMinBodyRate is the slowest average rate, in bytes per second,
	// a request body may arrive at once past DefaultBodyTimeout: 16 KiB/s
	// (128 kbit/s). A link at least that fast sends any body within the
	// caps, a 32 MiB module included (in at most 60 s + 34 min); a client
	// trickling bytes to hold a connection open is cut off.
	DefaultMinBodyRate = 16 << 10
)

// errBodyTimeout is a request body that did not arrive in time: 408.
var errBodyTimeout = errcode.ErrRequestTimeout

// bodyDeadline is the read deadline of one request body: it must arrive
// at MinBodyRate on average after a grace of BodyTimeout, and never stall
// longer than BodyTimeout. With a body that has received n bytes since
// start, last arriving at last, the deadline is the earlier of
//
//	start + timeout + n/rate   (the average rate)
//	last + timeout             (the longest stall)
//
// With rate 0 only the first applies, without the n/rate term: a flat
// timeout for the whole body.
type bodyDeadline struct {
	timeout time.Duration
	rate    int64 // bytes per second; 0: a flat timeout
	start   time.Time
	last    time.Time
	n       int64
}

// at returns the deadline.
func (d *bodyDeadline) at() time.Time {
	if d.rate <= 0 {
		return d.start.Add(d.timeout)
	}
	credit := time.Duration(float64(d.n) / float64(d.rate) * float64(time.Second))
	avg := d.start.Add(d.timeout + credit)
	return minTime(avg, d.last.Add(d.timeout))
}

// got records n bytes arriving at now.
func (d *bodyDeadline) got(n int, now time.Time) {
	if n > 0 {
		d.n += int64(n)
		d.last = now
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// deadlineBody is a request body read under a bodyDeadline, set on the
// connection before each read through http.ResponseController.
type deadlineBody struct {
	io.ReadCloser
	ctl http.ResponseController // a value: one allocation less per request
	d   bodyDeadline
	err error // the deadline's error, once it passed
	// none: the connection takes no deadlines (a ResponseWriter that is
	// not net/http's, as in tests); reads go straight through.
	none bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.none {
		return b.ReadCloser.Read(p)
	}
	if err := b.ctl.SetReadDeadline(b.d.at()); err != nil {
		b.none = true
		return b.ReadCloser.Read(p)
	}
	n, err := b.ReadCloser.Read(p)
	b.d.got(n, time.Now())
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		b.err = fmt.Errorf("%w: %d bytes received in %v; a body must arrive within %v, then at %d bytes/s on average, with no pause over %v",
			errBodyTimeout, b.d.n, time.Since(b.d.start).Round(time.Millisecond), b.d.timeout, b.d.rate, b.d.timeout)
		return n, b.err
	}
	return n, err
}

// limitBodies puts the body of every request with one under the body
// deadline of s's Config. It wraps the whole API, outside Echo.
func (s *Server) limitBodies(next http.Handler) http.Handler {
	if s.cfg.BodyTimeout < 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
			now := time.Now()
			b := &deadlineBody{ReadCloser: r.Body, ctl: *http.NewResponseController(w),
				d: bodyDeadline{timeout: s.cfg.BodyTimeout, rate: max(s.cfg.MinBodyRate, 0), start: now, last: now}}
			// Set now as well as before each read: a handler that answers
			// without reading the body leaves net/http to discard it, and
			// that read too must end.
			b.none = b.ctl.SetReadDeadline(b.d.at()) != nil
			r.Body = b
		}
		next.ServeHTTP(w, r)
	})
}
