package server

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/internal/names"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/modules"
)

// Result-cache response headers and the values of HeaderCache.
const (
	// HeaderCache says how the result cache answered an invocation: hit
	// (served without running: a stored result, or the result of an
	// identical invocation that was running), miss (the task ran; its
	// result is stored if it succeeded) or bypass (no cache_ttl).
	HeaderCache = "X-Nexus-Cache"
	// HeaderCacheKey is the key of a cacheable invocation's result, for
	// DELETE /v1/cache?key=.
	HeaderCacheKey = "X-Nexus-Cache-Key"

	CacheHit    = tasks.CacheHit
	CacheMiss   = tasks.CacheMiss
	CacheBypass = tasks.CacheBypass
)

// parseCache reads the caching parameters of an invoke:
//
//   - cache_ttl: cache a successful result for this long: a Go duration
//     (30s, 5m, 1h) or a bare number of milliseconds, at most 720h. Only a
//     pure module's results are cached, not with isolation=warm, and not
//     with grant=clock or grant=random; asking for it otherwise is a 400.
//   - tag: repeated, up to 16; stored with the result for DELETE
//     /v1/cache?tag=.
func parseCache(q query, p *invokeParams) error {
	if v := q.Get("cache_ttl"); v != "" {
		d, err := cache.ParseTTL(v)
		if err != nil {
			return fmt.Errorf("%w: cache_ttl: %v", errBadRequest, err)
		}
		p.cacheTTL = d
	}
	p.tags = q.All("tag")
	if len(p.tags) > 0 && p.cacheTTL == 0 {
		return fmt.Errorf("%w: tag needs cache_ttl: tags label cached results", errBadRequest)
	}
	if len(p.tags) > cache.MaxTags {
		return fmt.Errorf("%w: %d tags, at most %d", errBadRequest, len(p.tags), cache.MaxTags)
	}
	for _, t := range p.tags {
		if !cache.ValidTag(t) {
			return fmt.Errorf("%w: tag %q must be 1 to 128 letters, digits and . _ : / - starting with a letter or digit", errBadRequest, t)
		}
	}
	return nil
}

// bypassCache marks an invocation that did not ask for caching.
func (s *Server) bypassCache(h *respHeaders) {
	h.set(HeaderCache, CacheBypass)
	if s.cache != nil {
		s.cache.Bypass()
	}
}

// invalidateCache is DELETE /v1/cache?module=&tag=&key=: it removes the
// cached results of a module (all versions), those with a tag, and the one
// under a key, and answers {"invalidated": n}.
func (s *Server) invalidateCache(c echo.Context) error {
	q := c.QueryParams()
	sel := cache.Selector{Module: q.Get("module"), Tag: q.Get("tag")}
	if sel.Module != "" && !modules.ValidName(sel.Module) {
		return fmt.Errorf("%w: module %q must match "+names.Pattern, errBadRequest, sel.Module)
	}
	if sel.Tag != "" && !cache.ValidTag(sel.Tag) {
		return fmt.Errorf("%w: tag %q is not a valid tag", errBadRequest, sel.Tag)
	}
	if k := q.Get("key"); k != "" {
		key, err := cache.ParseKey(k)
		if err != nil {
			return fmt.Errorf("%w: %v", errBadRequest, err)
		}
		sel.Key = key
	}
	if sel == (cache.Selector{}) {
		return fmt.Errorf("%w: DELETE /v1/cache needs module=, tag= or key=", errBadRequest)
	}
	n := 0
	if s.cache != nil {
		n = s.cache.Invalidate(sel)
	}
	s.publish(&events.Event{Type: events.CacheInvalidated, Module: sel.Module,
		Data: events.Data{Tag: sel.Tag, Key: q.Get("key"), Removed: n}})
	return c.JSON(http.StatusOK, map[string]int{"invalidated": n})
}

// cacheStats is GET /v1/cache/stats: the cache's figures (all zero, with
// max_bytes 0, when the server runs without a cache).
func (s *Server) cacheStats(c echo.Context) error {
	var st cache.Stats
	if s.cache != nil {
		st = s.cache.Stats()
	}
	return c.JSON(http.StatusOK, st)
}

// wireCache invalidates a module's results when it gets a new version or
// is deleted, and exposes the cache's figures on /metrics.
func (s *Server) wireCache(c *cache.Cache) {
	s.reg.OnChange(func(e modules.Event) {
		n := c.InvalidateModule(e.Name)
		s.log.Debug("cache invalidated", "module", e.Name, "event", string(e.Kind), "entries", n)
	})
	err := s.metrics.RegisterCache(func() metrics.CacheStats {
		st := c.Stats()
		return metrics.CacheStats{
			Hits: st.Hits, Misses: st.Misses, Coalesced: st.Coalesced, Bypasses: st.Bypasses,
			Stored: st.Stored, Rejected: st.Rejected, Drops: st.Dropped, Evictions: st.Evictions,
			Expirations: st.Expirations, Invalidations: st.Invalidations,
			Entries: st.Entries, Bytes: st.Bytes, MaxBytes: st.MaxBytes, HitRatio: st.HitRatio,
		}
	})
	if err != nil {
		s.log.Warn("cache metrics not registered", "err", err)
	}
}
