package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Response headers of an invocation (and, for HeaderTaskID,
// HeaderTaskState and HeaderFuelUsed, of a task's result).
const (
	HeaderTaskID        = "X-Nexus-Task-Id"
	HeaderModuleVersion = "X-Nexus-Module-Version"
	HeaderDurationMs    = "X-Nexus-Duration-Ms"
	HeaderFuelUsed      = "X-Nexus-Fuel-Used"
	HeaderProgress      = "X-Nexus-Progress"
	HeaderPreemptions   = "X-Nexus-Preemptions"
	HeaderCache         = "X-Nexus-Cache"
	HeaderCacheKey      = "X-Nexus-Cache-Key"
	HeaderTaskState     = "X-Nexus-Task-State"
)

// Values of InvokeResult.Cache (the X-Nexus-Cache header) and Task.Cache.
const (
	// CacheHit: answered from the result cache (or from an identical
	// invocation that was running); the guest did not run for it.
	CacheHit = "hit"
	// CacheMiss: the task ran; its result was stored if it succeeded.
	CacheMiss = "miss"
	// CacheBypass: the invocation did not ask for caching.
	CacheBypass = "bypass"
)

// Capabilities an invocation may grant its task (InvokeOptions.Grants).
const (
	GrantClock   = "clock"
	GrantRandom  = "random"
	GrantScratch = "scratch"
)

// InvokeOptions are the query parameters of POST
// /v1/modules/{name}/invoke. The zero value of each field means the
// server's default.
type InvokeOptions struct {
	// Version runs that version of the module; 0 runs the latest.
	Version int
	// Priority runs from 0 to 9, higher first; nil means 5.
	Priority *int
	// Category is the fair-share and rate-limit class ("default").
	Category string
	// Fuel is the fuel budget; MemoryBytes the memory quota; Timeout the
	// deadline, counted from the task's start on a worker.
	Fuel        int64
	MemoryBytes int64
	Timeout     time.Duration
	// QueueTimeout, if more than 0, bounds how long the task may wait for
	// a worker: past it, it fails with CodeTimeout without running.
	QueueTimeout time.Duration
	// CacheTTL, if more than 0, caches a pure module's successful result
	// for this long (up to 720h); Tags label it for InvalidateCache.
	CacheTTL time.Duration
	Tags     []string
	// Config is the task's configuration, what the guest's config_get
	// returns.
	Config map[string]string
	// Grants are capabilities for the task: GrantClock, GrantRandom,
	// GrantScratch; ScratchBytes sizes the scratch directory.
	Grants []string
	// Mounts are data bundles the task sees as directories, each
	// NAME[@VERSION]:/guest/path[:ro|:rw] (see ParseMount and
	// Mount.String).
	Mounts       []string
	ScratchBytes int64
	// Env ("KEY=VALUE") and Args are a wasi-command task's environment
	// and arguments.
	Env  []string
	Args []string
	// Query holds further query parameters, sent as they are: parameters
	// newer than this package, or values in the server's own notation
	// (memory=64MiB, fuel=1e9, timeout=250ms). A field set above wins
	// over the same name here.
	Query url.Values
}

// encode returns the query string of o.
func (o *InvokeOptions) encode() string {
	if o == nil {
		return ""
	}
	q := url.Values{}
	for k, vs := range o.Query {
		q[k] = append([]string(nil), vs...)
	}
	set := func(k, v string, ok bool) {
		if ok {
			q.Set(k, v)
		}
	}
	set("version", strconv.Itoa(o.Version), o.Version > 0)
	if o.Priority != nil {
		q.Set("priority", strconv.Itoa(*o.Priority))
	}
	set("category", o.Category, o.Category != "")
	set("fuel", strconv.FormatInt(o.Fuel, 10), o.Fuel > 0)
	set("memory", strconv.FormatInt(o.MemoryBytes, 10), o.MemoryBytes > 0)
	set("timeout", o.Timeout.String(), o.Timeout > 0)
	set("queue_timeout", o.QueueTimeout.String(), o.QueueTimeout > 0)
	set("cache_ttl", o.CacheTTL.String(), o.CacheTTL > 0)
	set("scratch_bytes", strconv.FormatInt(o.ScratchBytes, 10), o.ScratchBytes > 0)
	for _, list := range []struct {
		key string
		vs  []string
	}{{"tag", o.Tags}, {"grant", o.Grants}, {"env", o.Env}, {"arg", o.Args}, {"mount", o.Mounts}} {
		if len(list.vs) > 0 {
			q[list.key] = append([]string(nil), list.vs...)
		}
	}
	if len(o.Config) > 0 {
		cfg := make([]string, 0, len(o.Config))
		for k, v := range o.Config {
			cfg = append(cfg, k+"="+v)
		}
		q["config"] = cfg
	}
	return q.Encode()
}

// InvokeResult is a successful invocation: the task's output and what the
// response headers say of the run.
type InvokeResult struct {
	// Output is the task's output.
	Output []byte
	// TaskID is the invocation's task id (X-Nexus-Task-Id).
	TaskID string
	// ModuleVersion is the version that ran (X-Nexus-Module-Version).
	ModuleVersion int
	// FuelUsed is the fuel the task used; for a cache hit, the fuel the
	// stored result used (X-Nexus-Fuel-Used).
	FuelUsed int64
	// Duration is how long the task ran (X-Nexus-Duration-Ms); 0 for a
	// cache hit.
	Duration time.Duration
	// Cache is CacheHit, CacheMiss or CacheBypass (X-Nexus-Cache);
	// CacheKey the result's key for a cacheable invocation.
	Cache    string
	CacheKey string
	// Progress is the progress the task last reported, done and total;
	// HasProgress says whether it reported any (X-Nexus-Progress).
	Progress    [2]int64
	HasProgress bool
	// Preemptions counts the times a higher-priority task suspended this
	// one (X-Nexus-Preemptions).
	Preemptions int
	// Header holds every response header.
	Header http.Header
}

// Invoke runs a task of module name synchronously with input and returns
// its output (POST /v1/modules/{name}/invoke). opts may be nil. A task
// that fails is an *Error with status 422 and the task's code (trap,
// fuel_exhausted, timeout, …), its TaskID, FuelUsed, ExitCode and Logs;
// its Header has the X-Nexus-* headers of the run.
func (c *Client) Invoke(ctx context.Context, name string, input []byte, opts *InvokeOptions) (*InvokeResult, error) {
	if input == nil {
		input = []byte{}
	}
	resp, err := c.do(ctx, request{
		method: http.MethodPost, path: "/v1/modules/" + escape(name) + "/invoke", query: opts.encode(),
		contentType: "application/octet-stream", body: input,
	})
	if err != nil {
		return nil, err
	}
	h := resp.header
	r := &InvokeResult{Output: resp.body, TaskID: h.Get(HeaderTaskID), Cache: h.Get(HeaderCache), CacheKey: h.Get(HeaderCacheKey), Header: h}
	r.ModuleVersion, _ = strconv.Atoi(h.Get(HeaderModuleVersion))
	r.FuelUsed, _ = strconv.ParseInt(h.Get(HeaderFuelUsed), 10, 64)
	if ms, err := strconv.ParseFloat(h.Get(HeaderDurationMs), 64); err == nil {
		r.Duration = time.Duration(ms * float64(time.Millisecond))
	}
	r.Progress, r.HasProgress = ProgressOf(h)
	r.Preemptions, _ = strconv.Atoi(h.Get(HeaderPreemptions))
	return r, nil
}

// ProgressOf returns the progress (done, total) in the X-Nexus-Progress
// header of h, and whether there was one. An invocation's *Error carries
// its headers, so the progress of a failed task is ProgressOf(e.Header).
func ProgressOf(h http.Header) ([2]int64, bool) {
	done, total, ok := strings.Cut(h.Get(HeaderProgress), "/")
	if !ok {
		return [2]int64{}, false
	}
	d, err1 := strconv.ParseInt(done, 10, 64)
	t, err2 := strconv.ParseInt(total, 10, 64)
	if err1 != nil || err2 != nil {
		return [2]int64{}, false
	}
	return [2]int64{d, t}, true
}
