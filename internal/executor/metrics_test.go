package executor_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/metrics"
)

var _ executor.Observer = (*metrics.ExecutorMetrics)(nil)

func TestPrometheusObserver(t *testing.T) {
	m := metrics.New(func() int { return 0 })
	obs, err := m.RegisterExecutor()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.RegisterExecutor(); err == nil {
		t.Fatal("registered twice")
	}
	e, err := executor.New(executor.Config{Workers: 1, Observer: obs, QueueCapacity: 1,
		Rates: map[string]executor.Rate{"api": {PerSecond: 1e-3, Burst: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	nop := func(context.Context, executor.Yielder) error { return nil }
	for range 3 {
		if err := e.Do(context.Background(), executor.Job{Priority: 7, Run: nop}); err != nil {
			t.Fatal(err)
		}
	}
	api := executor.Job{Category: "api", Sync: true, Run: nop}
	if err := e.Do(context.Background(), api); err != nil {
		t.Fatal(err)
	}
	if err := e.Do(context.Background(), api); !errors.Is(err, executor.ErrRateLimited) {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`nexus_executor_queue_wait_seconds_count{priority="7"} 3`,
		`nexus_executor_queue_depth{priority="7"} 0`,
		`nexus_executor_rate_limited_total{category="api"} 1`,
		`nexus_executor_running 0`,
		`nexus_executor_tokens 1`,
		`nexus_executor_token_utilization 0`,
		`nexus_executor_preemptions_total{priority="0"} 0`,
		`nexus_executor_queue_full_total 0`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("missing %q", want)
		}
	}
}
