package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Timeline is a task's life as phases, from its events: the answer of
// GET /v1/tasks/{id}/timeline.
type Timeline struct {
	TaskID     string    `json:"task_id"`
	Module     string    `json:"module"`
	State      State     `json:"state"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	DurationMs float64   `json:"duration_ms"`
	Phases     []Phase   `json:"phases"`
	// Partial says the task's oldest events were trimmed from the log.
	Partial bool `json:"partial,omitempty"`
	// Raw is the server's JSON.
	Raw json.RawMessage `json:"-"`
}

// Phase is one stretch of a task's life: submitted, scheduled, queued,
// waiting (for a worker token), running (a slice between preemptions),
// preempted, checkpoint, retrying (with the failed attempt's error), or
// its outcome (succeeded, failed, dead, canceled). Instants last 0.
type Phase struct {
	Phase           string    `json:"phase"`
	Start           time.Time `json:"start"`
	DurationMs      float64   `json:"duration_ms"`
	Attempt         int       `json:"attempt,omitempty"`
	ErrorCode       string    `json:"error_code,omitempty"`
	ErrorMessage    string    `json:"error_message,omitempty"`
	Reason          string    `json:"reason,omitempty"`
	CheckpointBytes int       `json:"checkpoint_bytes,omitempty"`
	FuelUsed        int64     `json:"fuel_used,omitempty"`
}

// TaskTimeline returns task id's timeline (GET /v1/tasks/{id}/timeline).
func (c *Client) TaskTimeline(ctx context.Context, id string) (*Timeline, error) {
	var t Timeline
	resp, err := c.call(ctx, request{method: http.MethodGet, path: "/v1/tasks/" + escape(id) + "/timeline"}, &t)
	if err != nil {
		return nil, err
	}
	t.Raw = resp.body
	return &t, nil
}

// MetricFamily is one metric of GET /v1/metrics: what /metrics shows
// under one name.
type MetricFamily struct {
	Name    string         `json:"name"`
	Help    string         `json:"help"`
	Type    string         `json:"type"` // counter, gauge, histogram, summary, untyped
	Metrics []MetricSample `json:"metrics"`
}

// MetricSample is one labelled series: Value for a counter or gauge;
// Count, Sum, Buckets (cumulative, the last "+Inf") and estimated
// Quantiles ("0.5", "0.9", "0.99") for a histogram.
type MetricSample struct {
	Labels    map[string]string  `json:"labels,omitempty"`
	Value     *float64           `json:"value,omitempty"`
	Count     *uint64            `json:"count,omitempty"`
	Sum       *float64           `json:"sum,omitempty"`
	Buckets   []MetricBucket     `json:"buckets,omitempty"`
	Quantiles map[string]float64 `json:"quantiles,omitempty"`
}

// MetricBucket is a cumulative histogram bucket.
type MetricBucket struct {
	Le    string `json:"le"`
	Count uint64 `json:"count"`
}

// Metrics returns the server's metrics (GET /v1/metrics), those whose
// name contains filter if it is not empty, and the server's JSON.
func (c *Client) Metrics(ctx context.Context, filter string) ([]MetricFamily, json.RawMessage, error) {
	r := request{method: http.MethodGet, path: "/v1/metrics"}
	if filter != "" {
		r.query = "filter=" + url.QueryEscape(filter)
	}
	var fams []MetricFamily
	resp, err := c.call(ctx, r, &fams)
	if err != nil {
		return nil, nil, err
	}
	return fams, resp.body, nil
}
