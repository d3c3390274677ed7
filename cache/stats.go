package cache

// Stats are the cache's figures. Counts are exact: every call of Get and Do
// is counted once as a hit, a miss or a coalesced call (a Do call that
// gave up waiting is not counted), and every entry stored is counted once
// when it leaves, by the reason it left.
type Stats struct {
	// Entries and Bytes are what the cache holds now; Bytes is the sum of
	// the entries' costs (see Config.MaxBytes) and never exceeds MaxBytes.
	Entries  int   `json:"entries"`
	Bytes    int64 `json:"bytes"`
	MaxBytes int64 `json:"max_bytes"`
	// Hits were answered from a stored entry; Misses ran the computation;
	// Coalesced waited for an identical call's run; Bypasses did not ask
	// for caching.
	Hits      uint64 `json:"hits"`
	Misses    uint64 `json:"misses"`
	Coalesced uint64 `json:"coalesced"`
	Bypasses  uint64 `json:"bypasses"`
	// HitRatio is (Hits+Coalesced) / (Hits+Coalesced+Misses), 0 before any.
	HitRatio float64 `json:"hit_ratio"`
	// Stored counts results admitted; Rejected those the admission policy
	// refused (TinyLFU, or larger than MaxBytes); Dropped those lost because
	// ristretto's write buffer was full.
	Stored   uint64 `json:"stored"`
	Rejected uint64 `json:"rejected"`
	Dropped  uint64 `json:"dropped"`
	// Evictions made room for other entries; Expirations passed their TTL;
	// Invalidations were removed by Invalidate.
	Evictions     uint64 `json:"evictions"`
	Expirations   uint64 `json:"expirations"`
	Invalidations uint64 `json:"invalidations"`
	// InFlight is the number of computations running now.
	InFlight int `json:"in_flight"`
}

// Stats returns the cache's figures. It waits for a write in progress to
// be applied, so Entries and Bytes match what ristretto holds.
func (c *Cache) Stats() Stats {
	c.setMu.Lock()
	defer c.setMu.Unlock()
	c.mu.Lock()
	s := Stats{
		Entries:       len(c.keys),
		Bytes:         c.bytes,
		MaxBytes:      c.maxBytes.Load(),
		Stored:        c.counts.stored,
		Rejected:      c.counts.rejected,
		Dropped:       c.counts.dropped,
		Evictions:     c.counts.evicted,
		Expirations:   c.counts.expired,
		Invalidations: c.counts.invalidated,
		InFlight:      len(c.flights),
	}
	c.mu.Unlock()
	s.Hits, s.Misses, s.Coalesced, s.Bypasses = c.hits.Load(), c.misses.Load(), c.coalesced.Load(), c.bypasses.Load()
	if served := s.Hits + s.Coalesced; served+s.Misses > 0 {
		s.HitRatio = float64(served) / float64(served+s.Misses)
	}
	return s
}
