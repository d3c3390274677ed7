package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nexustask/nexus/internal/metrics"
)

func TestCacheExposition(t *testing.T) {
	m := metrics.New(func() int { return 0 })
	stats := metrics.CacheStats{Hits: 9, Misses: 3, Coalesced: 2, Bypasses: 5, Stored: 3, Rejected: 1, Drops: 1,
		Evictions: 4, Expirations: 6, Invalidations: 7, Entries: 2, Bytes: 1234, MaxBytes: 1 << 20, HitRatio: 11.0 / 14}
	if err := m.RegisterCache(func() metrics.CacheStats { return stats }); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterCache(func() metrics.CacheStats { return stats }); err == nil {
		t.Fatal("a second RegisterCache succeeded")
	}
	scrape := func() string {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body, _ := io.ReadAll(rec.Body)
		return string(body)
	}
	body := scrape()
	for _, want := range []string{
		"nexus_cache_hits_total 9", "nexus_cache_misses_total 3", "nexus_cache_coalesced_total 2",
		"nexus_cache_bypasses_total 5", "nexus_cache_stored_total 3", "nexus_cache_rejections_total 2",
		"nexus_cache_evictions_total 4", "nexus_cache_expirations_total 6", "nexus_cache_invalidations_total 7",
		"nexus_cache_entries 2", "nexus_cache_bytes 1234", "nexus_cache_max_bytes 1.048576e+06",
		"nexus_cache_hit_ratio 0.7857",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
	stats.Hits = 10 // read at scrape time
	if body := scrape(); !strings.Contains(body, "nexus_cache_hits_total 10") {
		t.Error("the collector does not read the stats at each scrape")
	}
}
