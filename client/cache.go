package client

import (
	"context"
	"net/http"
	"net/url"
)

// CacheSelector selects the cached results InvalidateCache removes: those
// of a module (every version), those with a tag, and the one under a key
// (an invocation's CacheKey). At least one field must be set.
type CacheSelector struct {
	Module string
	Tag    string
	Key    string
}

// CacheStats are the result cache's figures (GET /v1/cache/stats); all
// zero, with MaxBytes 0, on a server without a cache.
type CacheStats struct {
	// Entries and Bytes are what the cache holds now, within MaxBytes.
	Entries  int   `json:"entries"`
	Bytes    int64 `json:"bytes"`
	MaxBytes int64 `json:"max_bytes"`
	// Hits were answered from a stored result; Misses ran; Coalesced
	// waited for an identical call's run; Bypasses did not ask for
	// caching.
	Hits      uint64 `json:"hits"`
	Misses    uint64 `json:"misses"`
	Coalesced uint64 `json:"coalesced"`
	Bypasses  uint64 `json:"bypasses"`
	// HitRatio is (Hits+Coalesced) / (Hits+Coalesced+Misses).
	HitRatio float64 `json:"hit_ratio"`
	// Stored, Rejected and Dropped count results admitted, refused by the
	// admission policy, and lost to a full write buffer.
	Stored   uint64 `json:"stored"`
	Rejected uint64 `json:"rejected"`
	Dropped  uint64 `json:"dropped"`
	// Evictions, Expirations and Invalidations count entries that left to
	// make room, at their TTL, and by InvalidateCache.
	Evictions     uint64 `json:"evictions"`
	Expirations   uint64 `json:"expirations"`
	Invalidations uint64 `json:"invalidations"`
	// InFlight is the number of computations running now.
	InFlight int `json:"in_flight"`
}

// invalidated is the answer of DELETE /v1/cache.
type invalidated struct {
	Invalidated int `json:"invalidated"`
}

// InvalidateCache removes the cached results sel selects (DELETE
// /v1/cache) and returns how many it removed.
func (c *Client) InvalidateCache(ctx context.Context, sel CacheSelector) (int, error) {
	q := url.Values{}
	for k, v := range map[string]string{"module": sel.Module, "tag": sel.Tag, "key": sel.Key} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out invalidated
	if _, err := c.call(ctx, request{method: http.MethodDelete, path: "/v1/cache", query: q.Encode()}, &out); err != nil {
		return 0, err
	}
	return out.Invalidated, nil
}

// CacheStats returns the result cache's figures (GET /v1/cache/stats).
func (c *Client) CacheStats(ctx context.Context) (*CacheStats, error) {
	var out CacheStats
	if _, err := c.call(ctx, request{method: http.MethodGet, path: "/v1/cache/stats"}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
