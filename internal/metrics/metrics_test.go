package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/metrics"
)

func TestExposition(t *testing.T) {
	modules := 3
	m := metrics.New(func() int { return modules })
	m.Invocation("echo", "ok", 2*time.Millisecond, 1500)
	m.Invocation("echo", "timeout", time.Second, 7)
	m.InFlight(1)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`nexus_invocations_total{module="echo",outcome="ok"} 1`,
		`nexus_invocations_total{module="echo",outcome="timeout"} 1`,
		`nexus_invocation_duration_seconds_count{module="echo"} 2`,
		`nexus_fuel_used_sum{module="echo"} 1507`,
		"nexus_invocations_in_flight 1",
		"nexus_modules 3",
		"go_goroutines",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}
