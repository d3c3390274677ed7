package tasks

import (
	"bytes"
	"context"
	"time"

	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/modules"
)

// Values of Record.Cache: how the result cache answered a task's last
// attempt, as the X-Nexus-Cache header does for an invoke.
const (
	// CacheHit: the attempt was answered by a stored result or by an
	// identical run in flight; the guest did not run.
	CacheHit = "hit"
	// CacheMiss: the guest ran; a successful result is stored.
	CacheMiss = "miss"
	// CacheBypass: the task asked for caching but the service has no cache.
	CacheBypass = "bypass"
)

// checkCacheable is the submission's check of a task with cache_ttl_ms: the
// same rule, and the same error, as an invoke's cache_ttl. Tasks have no
// clock or random grants.
func checkCacheable(v modules.Version) error {
	return cache.CheckCacheable(v.Name, v.Version, v.Pure, v.Isolation == host.IsolationWarm, false)
}

// run runs attempt a of rec, through the result cache when rec asks for
// caching and the service has one. It returns the host's result (built
// from the stored one on a hit) and the Record.Cache value.
func (s *Service) run(ctx context.Context, rec *Record, a Attempt) (*host.Result, string, error) {
	if rec.CacheTTLMs <= 0 {
		res, err := s.runner.Run(ctx, a)
		return res, "", err
	}
	if s.cfg.Cache == nil {
		res, err := s.runner.Run(ctx, a)
		return res, CacheBypass, err
	}
	v, mod, err := s.runner.Registry.Resolve(ctx, rec.Module, rec.Version)
	if err != nil {
		return nil, "", err
	}
	if err := checkCacheable(v); err != nil { // checked at submission; the version is pinned
		return nil, "", err
	}
	spec := cache.Spec{
		Module: v.Name, Digest: v.Digest, Profile: string(v.Profile),
		Input: rec.Input, Config: rec.Config,
		Fuel: rec.Fuel, MemoryBytes: rec.MemoryBytes,
	}
	req := cache.Request{Key: spec.Key(), Module: v.Name, Tags: rec.Tags, TTL: time.Duration(rec.CacheTTLMs) * time.Millisecond}
	var ran *host.Result
	cr, _, err := s.cfg.Cache.Do(ctx, req, func(ctx context.Context) (cache.Result, error) {
		res, err := s.runner.Execute(ctx, mod, a)
		ran = res
		if err != nil {
			return cache.Result{}, err
		}
		return cache.Result{Output: res.Output, FuelUsed: res.FuelUsed}, nil
	})
	switch {
	case ran != nil: // this attempt ran the guest: its own result, logs and progress
		return ran, CacheMiss, err
	case err != nil: // no run of this attempt: the executor refused it, an identical run failed, or ctx ended
		return nil, "", err
	}
	return &host.Result{Output: bytes.Clone(cr.Output), FuelUsed: cr.FuelUsed}, CacheHit, nil
}
