package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/tasks"
)

// Response headers of an invocation.
const (
	HeaderTaskID     = "X-Nexus-Task-Id"
	HeaderDurationMs = "X-Nexus-Duration-Ms"
	HeaderModuleVer  = "X-Nexus-Module-Version"
	HeaderFuelUsed   = "X-Nexus-Fuel-Used"
	HeaderProgress   = "X-Nexus-Progress" // "done/total", when the task reported progress
	// HeaderPreemptions counts the times a higher-priority task suspended
	// this one, when it was preempted at all.
	HeaderPreemptions = "X-Nexus-Preemptions"
)

// invoke is POST /v1/modules/{name}/invoke: the body is the input, the
// response body the output. Failures answer with the error shape, carrying
// the task id and the task's logs.
func (s *Server) invoke(c echo.Context) error {
	id := tasks.NewID()
	inv := &invocation{h: respHeaders{h: c.Response().Header()}}
	inv.h.set(HeaderTaskID, id)
	if err := s.runInvoke(c, id, inv); err != nil {
		var f *taskFailure
		if !errors.As(err, &f) {
			err = &taskFailure{err: err, taskID: id}
		}
		return err
	}
	return nil
}

// invocation is the state of one invoke, in one allocation: its response
// headers and its attempt.
type invocation struct {
	h respHeaders
	a tasks.Attempt
}

func (s *Server) runInvoke(c echo.Context, id string, inv *invocation) error {
	p, err := parseInvokeParams(c)
	if err != nil {
		return err
	}
	input, err := readBody(c, s.cfg.MaxInputBytes)
	if err != nil {
		return err
	}
	mounts, release, err := tasks.HoldMounts(s.cfg.Bundles, p.mounts)
	if err != nil {
		return err
	}
	defer release()
	p.grants.Mounts = mounts
	// The same run path as a durable task's attempt, with an in-memory
	// record: the response.
	a := &inv.a
	*a = tasks.Attempt{
		ID:       id,
		Module:   c.Param("name"),
		Version:  p.version,
		Priority: p.priority,
		Category: p.category,
		Sync:     true,
		// The task's timeout counts from its start; queue_timeout bounds
		// the wait before it.
		QueueTimeout: p.queueTimeout,
		Request: host.Request{
			Input: input, Limits: p.limits, Config: p.config, Grants: p.grants,
			KV: s.kvSeam,
		},
		CacheTTL:  p.cacheTTL,
		CacheTags: p.tags,
	}
	if s.cfg.Tasks != nil { // children of an invoke are durable tasks
		a.Request.Spawner = s.cfg.Tasks.Spawner(id, a.Priority, a.Category)
	}
	err = s.runner.Run(c.Request().Context(), a)
	s.setRunHeaders(&inv.h, a)
	if err != nil {
		f := &taskFailure{err: err, taskID: id}
		if a.Ran || a.Shared {
			f.logs, f.output, f.ran, f.fuel = a.Result.Logs, a.Result.Output, true, a.Result.FuelUsed
		}
		return f
	}
	return c.Blob(http.StatusOK, "application/octet-stream", a.Result.Output)
}

// setRunHeaders sets the response headers that say how a ran: the module
// version, the cache's answer, and the figures of the run.
func (s *Server) setRunHeaders(h *respHeaders, a *tasks.Attempt) {
	if a.Resolved.Name == "" { // the module was not found
		return
	}
	h.set(HeaderModuleVer, strconv.Itoa(a.Resolved.Version))
	if a.CacheTTL == 0 {
		s.bypassCache(h)
	}
	if a.CacheKey != "" {
		h.set(HeaderCacheKey, a.CacheKey.String())
	}
	if a.Cache != "" {
		h.set(HeaderCache, a.Cache)
	}
	if a.Preemptions > 0 {
		h.set(HeaderPreemptions, strconv.Itoa(a.Preemptions))
	}
	switch {
	case a.Ran:
		res := &a.Result
		h.set(HeaderDurationMs, strconv.FormatFloat(float64(res.Duration.Microseconds())/1000, 'f', 3, 64))
		h.set(HeaderFuelUsed, strconv.FormatInt(res.FuelUsed, 10))
		if res.Progress != [2]int64{} {
			h.set(HeaderProgress, strconv.FormatInt(res.Progress[0], 10)+"/"+strconv.FormatInt(res.Progress[1], 10))
		}
	case a.Cache == CacheHit:
		h.set(HeaderFuelUsed, strconv.FormatInt(a.Result.FuelUsed, 10))
	}
}

// respHeaders sets an invocation's response headers from one backing
// array: http.Header.Set allocates a one-element slice for every value,
// and an invocation sets five or six. Keys must be in canonical form.
type respHeaders struct {
	h    http.Header
	vals [8]string
	n    int
}

// set sets key to the single value v.
func (r *respHeaders) set(key, v string) {
	if r.n == len(r.vals) {
		r.h.Set(key, v)
		return
	}
	r.vals[r.n] = v
	r.h[key] = r.vals[r.n : r.n+1 : r.n+1]
	r.n++
}
