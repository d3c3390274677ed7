package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nexustask/nexus/internal/metrics"
)

func TestTaskExposition(t *testing.T) {
	m := metrics.New(func() int { return 0 })
	stats := metrics.TaskStats{Scheduled: 4, Queued: 3, Running: 2, InFlight: 2, Submitted: 20, Retries: 5, Recovered: 1,
		Finished: map[string]uint64{"succeeded": 9, "dead": 2}, Commits: 7, CommitWrites: 30, Reaped: 3, LeaseRenewals: 11}
	if err := m.RegisterTasks(func() metrics.TaskStats { return stats }); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterTasks(func() metrics.TaskStats { return stats }); err == nil {
		t.Fatal("a second RegisterTasks succeeded")
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`nexus_tasks{state="scheduled"} 4`, `nexus_tasks{state="queued"} 3`, `nexus_tasks{state="running"} 2`,
		"nexus_tasks_in_flight 2", "nexus_tasks_submitted_total 20", `nexus_tasks_finished_total{state="succeeded"} 9`,
		`nexus_tasks_finished_total{state="dead"} 2`, `nexus_tasks_finished_total{state="failed"} 0`,
		"nexus_tasks_retries_total 5", "nexus_tasks_recovered_total 1", "nexus_task_commits_total 7",
		"nexus_task_commit_writes_total 30", "nexus_tasks_reaped_total 3", "nexus_task_lease_renewals_total 11",
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("exposition lacks %q", want)
		}
	}
}
