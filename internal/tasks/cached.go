package tasks

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/modules"
)

// Values of Record.Cache and Attempt.Cache: how the result cache answered
// a task's attempt, as the X-Nexus-Cache header does for an invoke.
const (
	// CacheHit: the attempt was answered by a stored result or by an
	// identical run in flight; the guest did not run.
	CacheHit = "hit"
	// CacheMiss: the guest ran; a successful result is stored.
	CacheMiss = "miss"
	// CacheBypass: the task asked for caching but the runner has no cache.
	CacheBypass = "bypass"
)

// Cache returns the middleware that answers attempts with a positive
// CacheTTL from c: from a stored result, by waiting for an identical
// attempt in flight, or by running the rest of the chain and storing its
// result if it succeeds. An attempt whose module is not pure (or runs
// warm, or is granted a clock or a random source) fails with an error
// wrapping cache.ErrNotCacheable, without running. With c nil, attempts
// that ask for caching run and say CacheBypass. Attempts without CacheTTL
// pass through.
//
// It sets Attempt.CacheKey and Attempt.Cache (CacheMiss whenever the
// attempt fails past the cache), and on a hit Attempt.Result's Output and
// FuelUsed, shared with the cache.
func Cache(c *cache.Cache) Middleware { return cacheStep{c} }

// cacheStep is the Cache middleware. It is pointer-shaped, so that it
// converts to a Middleware without allocating.
type cacheStep struct{ c *cache.Cache }

// Run implements Middleware.
func (m cacheStep) Run(ctx context.Context, a *Attempt, next RunFunc) error {
	if a.CacheTTL <= 0 {
		return next(ctx, a)
	}
	v := &a.Resolved
	if err := cache.CheckCacheable(v.Name, v.Version, v.Pure, v.Isolation == host.IsolationWarm, !a.Request.Grants.Deterministic()); err != nil {
		return err
	}
	if m.c == nil {
		a.Cache = CacheBypass
		return next(ctx, a)
	}
	a.CacheKey = cacheKey(v, &a.Request)
	req := cache.Request{Key: a.CacheKey, Module: v.Name, Tags: a.CacheTags, TTL: a.CacheTTL}
	res, outcome, err := m.c.Do(ctx, req, func(ctx context.Context) (cache.Result, error) {
		if err := next(ctx, a); err != nil {
			if a.Ran { // the callers waiting for this run answer with its logs and fuel
				return cache.Result{}, &failedRun{err: err, logs: a.Result.Logs, fuel: a.Result.FuelUsed}
			}
			return cache.Result{}, err
		}
		return cache.Result{Output: a.Result.Output, FuelUsed: a.Result.FuelUsed}, nil
	})
	if err != nil {
		a.Cache = CacheMiss
		var f *failedRun
		if errors.As(err, &f) {
			if outcome != cache.Miss { // another attempt's run
				a.Shared, a.Result.Logs, a.Result.FuelUsed = true, f.logs, f.fuel
			}
			err = f.err
		}
		return err
	}
	if outcome == cache.Miss {
		a.Cache = CacheMiss
		return nil
	}
	a.Cache = CacheHit
	a.Result.Output, a.Result.FuelUsed = res.Output, res.FuelUsed
	return nil
}

// failedRun is the failure of a run that identical attempts waited for.
type failedRun struct {
	err  error
	logs []byte
	fuel int64
}

func (f *failedRun) Error() string { return f.err.Error() }
func (f *failedRun) Unwrap() error { return f.err }

// cacheKey is the key of the result of req run on version v: everything
// the result of a pure task can depend on. Every cached run, invoke or
// durable task, is keyed here.
func cacheKey(v *modules.Version, req *host.Request) cache.Key {
	return (&cache.Spec{
		Module: v.Name, Digest: v.Digest, Profile: string(v.Profile),
		Input: req.Input, Config: req.Config,
		Env: req.Grants.Env, Args: req.Grants.Args,
		Scratch: req.Grants.Scratch, ScratchBytes: req.Grants.ScratchBytes,
		Fuel: req.Limits.Fuel, MemoryBytes: req.Limits.MemoryBytes,
		Mounts: mountKeys(req.Grants.Mounts),
	}).Key()
}

// mountKeys are the cache-key entries of a request's mounts.
func mountKeys(ms []host.Mount) []string {
	if len(ms) == 0 {
		return nil
	}
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = cache.MountKey(m.GuestPath, m.Writable, m.Digest)
	}
	return out
}

// checkCacheable is the submission's check of a task with cache_ttl_ms: the
// same rule, and the same error, as an invoke's cache_ttl. Tasks have no
// clock or random grants.
func checkCacheable(v modules.Version) error {
	return cache.CheckCacheable(v.Name, v.Version, v.Pure, v.Isolation == host.IsolationWarm, false)
}

// run runs attempt a of rec through the runner, and through the result
// cache when rec asks for caching. It returns the host's result (built
// from the stored one on a hit; nil if the guest did not run) and the
// Record.Cache value. A runner without a Cache middleware is given one
// over Config.Cache.
func (s *Service) run(ctx context.Context, rec *Record, a Attempt) (*host.Result, string, error) {
	if rec.CacheTTLMs > 0 {
		a.CacheTTL, a.CacheTags = time.Duration(rec.CacheTTLMs)*time.Millisecond, rec.Tags
	}
	var err error
	if _, ok := s.runner.Cache(); ok {
		err = s.runner.Run(ctx, &a)
	} else {
		err = s.runner.runOutside(ctx, &a, cacheStep{s.cfg.Cache})
	}
	switch {
	case a.Ran: // this attempt ran the guest: its own result, logs and progress
		return &a.Result, a.Cache, err
	case a.Cache == CacheHit: // the record keeps the output: not the cache's copy
		return &host.Result{Output: bytes.Clone(a.Result.Output), FuelUsed: a.Result.FuelUsed}, CacheHit, nil
	case a.Cache == CacheBypass:
		return nil, CacheBypass, err
	}
	// No run of this attempt: refused, an identical run failed, or ctx ended.
	return nil, "", err
}
