package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// requestTimeout bounds one request, so that a stuck server cannot hold a
// run past its duration by more than this.
const requestTimeout = 10 * time.Second

// load is how one target is driven.
type load struct {
	conns    int
	warmup   time.Duration
	duration time.Duration
	body     []byte
}

// result is what driving one target measured.
type result struct {
	name      string
	duration  time.Duration
	latencies []time.Duration // of the successful measured requests, sorted
	errors    int
	firstErr  error
}

// rate returns the successful requests per second.
func (r result) rate() float64 {
	return float64(len(r.latencies)) / r.duration.Seconds()
}

// percentile returns the latency at or under which a fraction p (0..1) of
// the successful requests completed, or 0 if there were none.
func (r result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(p*float64(len(r.latencies))+0.5) - 1
	return r.latencies[max(0, min(i, len(r.latencies)-1))]
}

// newTransport returns a keep-alive HTTP/1.1 transport that holds exactly
// conns connections to one host.
func newTransport(conns int) *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// drive posts l.body to url from l.conns goroutines, one keep-alive
// connection each, for l.warmup and then l.duration, and returns what the
// measured part saw. A request counts if it started after the warm-up and
// finished within the duration; requests still running at the end are
// waited for but not counted.
func drive(ctx context.Context, url string, l load) result {
	tr := newTransport(l.conns)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: requestTimeout}

	from := time.Now().Add(l.warmup)
	end := from.Add(l.duration)
	stats := make([]workerStats, l.conns)
	var wg sync.WaitGroup
	for i := range stats {
		wg.Go(func() { stats[i] = work(ctx, client, url, l.body, from, end) })
	}
	wg.Wait()

	r := result{duration: l.duration}
	for _, s := range stats {
		r.latencies = append(r.latencies, s.latencies...)
		r.errors += s.errors
		if r.firstErr == nil {
			r.firstErr = s.firstErr
		}
	}
	slices.Sort(r.latencies)
	return r
}

// workerStats is what one connection measured.
type workerStats struct {
	latencies []time.Duration
	errors    int
	firstErr  error
}

// work sends requests one after another until end or until ctx is done,
// recording those that started at or after from and finished by end.
func work(ctx context.Context, client *http.Client, url string, body []byte, from, end time.Time) workerStats {
	var s workerStats
	var buf bytes.Buffer
	for ctx.Err() == nil {
		start := time.Now()
		if !start.Before(end) {
			break
		}
		err := post(ctx, client, url, body, &buf)
		done := time.Now()
		if start.Before(from) || done.After(end) {
			continue
		}
		if err != nil {
			s.errors++
			if s.firstErr == nil {
				s.firstErr = err
			}
			continue
		}
		s.latencies = append(s.latencies, done.Sub(start))
	}
	return s
}

// post sends body to url and checks that the response is 200 with the same
// body. buf is reused to read the response.
//
// It is written with net/http rather than the client package because it
// drives every target, NexusTask and the references alike: the load
// generator then costs the same for each. (client.Invoke costs 7
// allocations, about 0.5 KB, more per request than this, and no time
// measurable over the loopback round trip: client's BenchmarkInvoke and
// BenchmarkInvokeRaw.)
func post(ctx context.Context, client *http.Client, url string, body []byte, buf *bytes.Buffer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, int64(len(body))+4096)); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %.200s", resp.Status, buf.Bytes())
	}
	if !bytes.Equal(buf.Bytes(), body) {
		return fmt.Errorf("response body (%d bytes) differs from request body (%d bytes)", buf.Len(), len(body))
	}
	return nil
}

// merge adds what another drive of target name measured to r.
func (r *result) merge(name string, o result) {
	r.name = name
	r.duration += o.duration
	r.latencies = append(r.latencies, o.latencies...)
	r.errors += o.errors
	if r.firstErr == nil {
		r.firstErr = o.firstErr
	}
}
