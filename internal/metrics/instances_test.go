package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nexustask/nexus/internal/metrics"
)

func TestInstanceExposition(t *testing.T) {
	m := metrics.New(func() int { return 0 })
	stats := metrics.InstanceStats{Fresh: 1, Restored: 2, Ready: 3, WarmNew: 4, WarmReused: 5, WarmDiscarded: 6, ReadyBytes: 65536,
		Reset: 7, ResetFallbacks: map[string]uint64{"table_write": 8, "trap": 0}, ResetBytes: 131072}
	if err := m.RegisterInstances(func() metrics.InstanceStats { return stats }); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`nexus_instances_total{source="fresh"} 1`, `nexus_instances_total{source="snapshot"} 2`,
		`nexus_instances_total{source="ready"} 3`, `nexus_instances_total{source="warm_new"} 4`,
		`nexus_instances_total{source="warm_reused"} 5`, "nexus_warm_instances_discarded_total 6",
		"nexus_ready_instance_bytes 65536", `nexus_instances_total{source="reset"} 7`,
		`nexus_instance_reset_fallbacks_total{reason="table_write"} 8`,
		`nexus_instance_reset_fallbacks_total{reason="trap"} 0`, "nexus_reset_instance_bytes 131072",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}
