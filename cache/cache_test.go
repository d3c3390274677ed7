package cache

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func newCache(t testing.TB, cfg Config) *Cache {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// keyOf returns the key of a task of module with input.
func keyOf(module, input string) Key {
	s := Spec{Module: module, Digest: "sha256:" + module, Profile: "nexus-v1", Input: []byte(input)}
	return s.Key()
}

func req(module, input string, ttl time.Duration, tags ...string) Request {
	return Request{Key: keyOf(module, input), Module: module, Tags: tags, TTL: ttl}
}

// compute is a real computation: n rounds of SHA-256 over input.
func compute(input []byte, n int) []byte {
	sum := sha256.Sum256(input)
	for range n {
		sum = sha256.Sum256(sum[:])
	}
	return sum[:]
}

// counted returns a run function that computes over input and counts its runs.
func counted(runs *atomic.Int64, input string) func(context.Context) (Result, error) {
	return func(context.Context) (Result, error) {
		runs.Add(1)
		return Result{Output: compute([]byte(input), 1000), FuelUsed: 1000}, nil
	}
}

func mustDo(t *testing.T, c *Cache, r Request, run func(context.Context) (Result, error)) (Result, Outcome) {
	t.Helper()
	res, o, err := c.Do(context.Background(), r, run)
	if err != nil {
		t.Fatal(err)
	}
	return res, o
}

func TestDoMissThenHit(t *testing.T) {
	c := newCache(t, Config{})
	var runs atomic.Int64
	r := req("sum", "abc", time.Minute)
	first, o := mustDo(t, c, r, counted(&runs, "abc"))
	if o != Miss || runs.Load() != 1 {
		t.Fatalf("first Do: outcome %v, runs %d; want miss, 1", o, runs.Load())
	}
	second, o := mustDo(t, c, r, counted(&runs, "abc"))
	if o != Hit || runs.Load() != 1 || string(second.Output) != string(first.Output) || second.FuelUsed != 1000 {
		t.Fatalf("second Do: outcome %v, runs %d, output equal %v; want hit, 1, true", o, runs.Load(),
			string(second.Output) == string(first.Output))
	}
	if got, ok := c.Get(r.Key); !ok || string(got.Output) != string(first.Output) {
		t.Fatal("Get missed a stored entry")
	}
	if _, ok := c.Get(keyOf("sum", "abd")); ok {
		t.Fatal("Get hit a key never stored")
	}
	s := c.Stats()
	if s.Hits != 2 || s.Misses != 2 || s.Entries != 1 || s.Stored != 1 || s.HitRatio != 0.5 {
		t.Fatalf("stats %+v", s)
	}
	want := int64(len(first.Output)+len(r.Key)+len("sum")) + EntryOverhead
	if s.Bytes != want {
		t.Fatalf("bytes %d, want %d", s.Bytes, want)
	}
}

func TestErrorsAreNotStored(t *testing.T) {
	c := newCache(t, Config{})
	boom := errors.New("trap")
	r := req("fail", "x", time.Minute)
	for i := range 2 {
		_, o, err := c.Do(context.Background(), r, func(context.Context) (Result, error) { return Result{}, boom })
		if !errors.Is(err, boom) || o != Miss {
			t.Fatalf("Do %d: %v, %v; want the run's error and a miss", i, o, err)
		}
	}
	if s := c.Stats(); s.Entries != 0 || s.Misses != 2 || s.Bytes != 0 {
		t.Fatalf("stats after failures %+v", s)
	}
}

func TestInvalidRequests(t *testing.T) {
	c := newCache(t, Config{})
	good := req("m", "in", time.Minute)
	for name, r := range map[string]Request{
		"no key":     {Module: "m", TTL: time.Minute},
		"zero ttl":   {Key: good.Key, Module: "m"},
		"long ttl":   {Key: good.Key, Module: "m", TTL: MaxTTL + time.Second},
		"bad tag":    {Key: good.Key, Module: "m", TTL: time.Minute, Tags: []string{"a b"}},
		"many tags":  {Key: good.Key, Module: "m", TTL: time.Minute, Tags: make([]string, MaxTags+1)},
		"upper hex":  {Key: Key("AB" + string(good.Key[2:])), Module: "m", TTL: time.Minute},
		"short hash": {Key: good.Key[:10], Module: "m", TTL: time.Minute},
	} {
		t.Run(name, func(t *testing.T) {
			ran := false
			_, _, err := c.Do(context.Background(), r, func(context.Context) (Result, error) { ran = true; return Result{}, nil })
			if !errors.Is(err, ErrInvalid) || ran {
				t.Fatalf("err %v, ran %v; want ErrInvalid without running", err, ran)
			}
		})
	}
}

// TestTTL runs in a synctest bubble, whose clock the cache reads: the
// short entry expires exactly when the test moves time past its TTL.
func TestTTL(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c := newCache(t, Config{})
		var runs atomic.Int64
		short := req("ttl", "a", 250*time.Millisecond)
		long := req("ttl", "b", time.Hour)
		mustDo(t, c, short, counted(&runs, "a"))
		mustDo(t, c, long, counted(&runs, "b"))
		if _, o := mustDo(t, c, short, counted(&runs, "a")); o != Hit {
			t.Fatalf("before its TTL: %v, want hit", o)
		}
		time.Sleep(300 * time.Millisecond) // fake time: the short TTL passes at once
		if _, ok := c.Get(short.Key); ok {
			t.Fatal("entry served after its TTL")
		}
		s := c.Stats()
		if s.Entries != 1 || s.Expirations != 1 {
			t.Fatalf("after expiry: %+v; want the long entry only and one expiration", s)
		}
		if _, o := mustDo(t, c, short, counted(&runs, "a")); o != Miss || runs.Load() != 3 {
			t.Fatalf("after its TTL: %v with %d runs, want a miss that runs again", o, runs.Load())
		}
		if _, o := mustDo(t, c, long, counted(&runs, "b")); o != Hit {
			t.Fatalf("long TTL: %v, want hit", o)
		}
	})
}

func TestInvalidate(t *testing.T) {
	c := newCache(t, Config{})
	var runs atomic.Int64
	fill := func() {
		for _, r := range []Request{
			req("alpha", "1", time.Hour, "red"),
			req("alpha", "2", time.Hour, "blue"),
			req("beta", "1", time.Hour, "red", "green"),
			req("beta", "2", time.Hour),
		} {
			mustDo(t, c, r, counted(&runs, string(r.Key)))
		}
	}
	held := func() (n int) {
		for _, r := range []Request{req("alpha", "1", 0), req("alpha", "2", 0), req("beta", "1", 0), req("beta", "2", 0)} {
			if _, ok := c.lookup(r.Key); ok {
				n++
			}
		}
		return n
	}
	for _, tc := range []struct {
		name    string
		sel     Selector
		removed int
	}{
		{"module", Selector{Module: "alpha"}, 2},
		{"tag", Selector{Tag: "red"}, 2},
		{"tag on one", Selector{Tag: "green"}, 1},
		{"key", Selector{Key: keyOf("beta", "2")}, 1},
		{"module or tag", Selector{Module: "beta", Tag: "blue"}, 3},
		{"unknown module", Selector{Module: "gamma"}, 0},
		{"empty", Selector{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fill()
			if n := held(); n != 4 {
				t.Fatalf("held %d before, want 4", n)
			}
			before := c.Stats()
			if n := c.Invalidate(tc.sel); n != tc.removed {
				t.Fatalf("Invalidate removed %d, want %d", n, tc.removed)
			}
			if n := held(); n != 4-tc.removed {
				t.Fatalf("held %d after, want %d", n, 4-tc.removed)
			}
			after := c.Stats()
			if after.Entries != 4-tc.removed || after.Invalidations-before.Invalidations != uint64(tc.removed) {
				t.Fatalf("stats after: %+v", after)
			}
		})
	}
	c.Invalidate(Selector{Module: "alpha"})
	c.Invalidate(Selector{Module: "beta"})
	if s := c.Stats(); s.Entries != 0 || s.Bytes != 0 {
		t.Fatalf("after invalidating everything: %+v", s)
	}
}

func TestCostBound(t *testing.T) {
	const maxBytes = 64 << 10
	c := newCache(t, Config{MaxBytes: maxBytes})
	out := make([]byte, 4<<10)
	run := func(context.Context) (Result, error) { return Result{Output: out}, nil }
	for i := range 200 {
		mustDo(t, c, req("big", strconv.Itoa(i), time.Hour), run)
		if s := c.Stats(); s.Bytes > maxBytes {
			t.Fatalf("after %d results: %d bytes held, bound %d", i+1, s.Bytes, maxBytes)
		}
	}
	s := c.Stats()
	cost := int64(len(out)+64+len("big")) + EntryOverhead
	if s.Bytes != int64(s.Entries)*cost {
		t.Fatalf("bytes %d for %d entries of cost %d", s.Bytes, s.Entries, cost)
	}
	if s.Entries == 0 || s.Evictions+s.Rejected == 0 || s.Stored+s.Rejected+s.Dropped != 200 {
		t.Fatalf("stats %+v: want some entries held, some evicted or refused, every result accounted for", s)
	}
	// An entry larger than the bound is refused, not stored.
	huge := make([]byte, maxBytes)
	mustDo(t, c, req("big", "huge", time.Hour), func(context.Context) (Result, error) { return Result{Output: huge}, nil })
	if _, ok := c.Get(keyOf("big", "huge")); ok {
		t.Fatal("an entry larger than MaxBytes was stored")
	}
	if got := c.Stats().Rejected; got != s.Rejected+1 {
		t.Fatalf("rejected %d, want %d", got, s.Rejected+1)
	}
}

func TestSingleFlight(t *testing.T) {
	c := newCache(t, Config{})
	const callers = 64
	var runs atomic.Int64
	r := req("flight", "shared", time.Hour)
	run := func(context.Context) (Result, error) {
		runs.Add(1)
		return Result{Output: compute([]byte("shared"), 200_000)}, nil // a few tens of ms
	}
	var start, done sync.WaitGroup
	start.Add(1)
	outs := make([][]byte, callers)
	for i := range callers {
		done.Go(func() {
			start.Wait()
			res, _, err := c.Do(context.Background(), r, run)
			if err != nil {
				t.Error(err)
			}
			outs[i] = res.Output
		})
	}
	start.Done()
	done.Wait()
	if runs.Load() != 1 {
		t.Fatalf("%d concurrent identical calls ran %d times, want once", callers, runs.Load())
	}
	want := string(compute([]byte("shared"), 200_000))
	for i, o := range outs {
		if string(o) != want {
			t.Fatalf("caller %d got a different output", i)
		}
	}
	s := c.Stats()
	if s.Misses != 1 || s.Hits+s.Coalesced != callers-1 || s.InFlight != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestSingleFlightSharesErrors(t *testing.T) {
	c := newCache(t, Config{})
	boom := errors.New("task failed")
	release := make(chan struct{})
	var runs atomic.Int64
	r := req("flight", "err", time.Hour)
	run := func(context.Context) (Result, error) {
		runs.Add(1)
		<-release
		return Result{}, boom
	}
	errs := make(chan error, 8)
	go func() { _, _, err := c.Do(context.Background(), r, run); errs <- err }()
	waitFlights(t, c, 1)
	for range 7 {
		go func() { _, _, err := c.Do(context.Background(), r, run); errs <- err }()
	}
	waitCoalescing(t, c, r.Key, 7)
	close(release)
	for range 8 {
		if err := <-errs; !errors.Is(err, boom) {
			t.Fatalf("err %v, want the shared run's error", err)
		}
	}
	if runs.Load() != 1 {
		t.Fatalf("ran %d times, want once", runs.Load())
	}
}

func TestLeaderCanceled(t *testing.T) {
	c := newCache(t, Config{})
	r := req("flight", "cancel", time.Hour)
	var runs atomic.Int64
	leaderCtx, cancel := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		_, _, err := c.Do(leaderCtx, r, func(ctx context.Context) (Result, error) {
			runs.Add(1)
			<-ctx.Done()
			return Result{}, ctx.Err()
		})
		leaderErr <- err
	}()
	waitFlights(t, c, 1)
	follower := make(chan Outcome, 1)
	go func() {
		_, o, err := c.Do(context.Background(), r, counted(&runs, "cancel"))
		if err != nil {
			t.Error(err)
		}
		follower <- o
	}()
	waitCoalescing(t, c, r.Key, 1)
	cancel()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader: %v, want canceled", err)
	}
	if o := <-follower; o != Miss || runs.Load() != 2 {
		t.Fatalf("follower: %v after %d runs; want it to run the task itself", o, runs.Load())
	}
	if _, ok := c.Get(r.Key); !ok {
		t.Fatal("the follower's result was not stored")
	}
}

func TestInvalidateDetachesFlight(t *testing.T) {
	c := newCache(t, Config{})
	r := req("flight", "stale", time.Hour, "t")
	release := make(chan struct{})
	var runs atomic.Int64
	old := make(chan Result, 1)
	go func() {
		res, _, _ := c.Do(context.Background(), r, func(context.Context) (Result, error) {
			runs.Add(1)
			<-release
			return Result{Output: []byte("old")}, nil
		})
		old <- res
	}()
	waitFlights(t, c, 1)
	c.Invalidate(Selector{Module: "flight"})
	// A call after the invalidation does not wait for the detached run.
	res, o := mustDo(t, c, r, func(context.Context) (Result, error) {
		runs.Add(1)
		return Result{Output: []byte("new")}, nil
	})
	if o != Miss || string(res.Output) != "new" {
		t.Fatalf("after invalidation: %v %q, want a fresh run", o, res.Output)
	}
	close(release)
	if res := <-old; string(res.Output) != "old" {
		t.Fatalf("detached run returned %q to its caller", res.Output)
	}
	if got, ok := c.Get(r.Key); !ok || string(got.Output) != "new" {
		t.Fatalf("stored %q (%v); the detached run's result must not replace the fresh one", got.Output, ok)
	}
	if runs.Load() != 2 {
		t.Fatalf("runs %d, want 2", runs.Load())
	}
}

func TestWaiterContext(t *testing.T) {
	c := newCache(t, Config{})
	r := req("flight", "wait", time.Hour)
	release := make(chan struct{})
	defer close(release)
	go c.Do(context.Background(), r, func(context.Context) (Result, error) { <-release; return Result{}, nil })
	waitFlights(t, c, 1)
	ctx, cancel := context.WithTimeoutCause(context.Background(), 20*time.Millisecond, errors.New("gave up"))
	defer cancel()
	_, _, err := c.Do(ctx, r, func(context.Context) (Result, error) { t.Error("waiter ran"); return Result{}, nil })
	if err == nil || err.Error() != "gave up" {
		t.Fatalf("waiter: %v, want its context's cause", err)
	}
}

// TestHammer runs Do, Get and Invalidate from many goroutines over a small
// key space and a small bound, then checks the index against the figures.
func TestHammer(t *testing.T) {
	c := newCache(t, Config{MaxBytes: 32 << 10})
	var wg sync.WaitGroup
	n := 2000
	if testing.Short() {
		n = 300
	}
	for g := range 8 {
		wg.Go(func() {
			for i := range n {
				mod := fmt.Sprintf("m%d", (g+i)%3)
				in := strconv.Itoa(i % 40)
				switch i % 17 {
				case 0:
					c.Invalidate(Selector{Module: mod})
				case 1:
					c.Invalidate(Selector{Tag: "t" + in})
				case 2:
					c.Get(keyOf(mod, in))
				default:
					r := req(mod, in, time.Duration(1+i%5)*10*time.Millisecond, "t"+in)
					res, _, err := c.Do(context.Background(), r, func(context.Context) (Result, error) {
						return Result{Output: compute([]byte(mod+in), 10)}, nil
					})
					if err != nil || string(res.Output) != string(compute([]byte(mod+in), 10)) {
						t.Errorf("Do %s/%s: %v, wrong output %v", mod, in, err, string(res.Output) != string(compute([]byte(mod+in), 10)))
						return
					}
				}
			}
		})
	}
	wg.Wait()
	s := c.Stats()
	c.mu.Lock()
	var sum int64
	for _, e := range c.keys {
		sum += e.cost
	}
	c.mu.Unlock()
	if s.Bytes != sum || s.Bytes > s.MaxBytes || s.InFlight != 0 {
		t.Fatalf("stats %+v, index holds %d bytes", s, sum)
	}
	left := s.Stored - s.Evictions - s.Expirations - s.Invalidations
	if uint64(s.Entries) != left {
		t.Fatalf("stats %+v: %d entries, but stored-evicted-expired-invalidated = %d", s, s.Entries, left)
	}
}

// waitFlights waits until n computations are in flight.
func waitFlights(t *testing.T, c *Cache, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		c.mu.Lock()
		got := len(c.flights)
		c.mu.Unlock()
		if got == n {
			return
		}
	}
	t.Fatalf("never saw %d computations in flight", n)
}

// waitCoalescing waits until n calls have joined the flight of key.
func waitCoalescing(t *testing.T, c *Cache, key Key, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		c.mu.Lock()
		f := c.flights[key]
		got := 0
		if f != nil {
			got = f.waiters
		}
		c.mu.Unlock()
		if got == n {
			return
		}
	}
	t.Fatalf("never saw %d calls waiting on one flight", n)
}
