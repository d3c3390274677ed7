package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/tasks"
	"github.com/nexustask/nexus/modules"
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
	h := &respHeaders{h: c.Response().Header()}
	h.set(HeaderTaskID, id)
	if err := s.runInvoke(c, id, h); err != nil {
		var f *taskFailure
		if !errors.As(err, &f) {
			err = &taskFailure{err: err, taskID: id}
		}
		return err
	}
	return nil
}

func (s *Server) runInvoke(c echo.Context, id string, h *respHeaders) error {
	name := c.Param("name")
	p, err := parseInvokeParams(c)
	if err != nil {
		return err
	}
	input, err := readBody(c, s.cfg.MaxInputBytes)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	v, mod, err := s.reg.Resolve(ctx, name, p.version)
	if err != nil {
		return err
	}
	h.set(HeaderModuleVer, strconv.Itoa(v.Version))
	if p.cacheTTL > 0 {
		return s.invokeCached(c, id, p, input, v, mod, h)
	}
	s.bypassCache(h)
	res, err := s.execute(c, id, p, input, v, mod, h)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/octet-stream", res.Output)
}

// execute runs one task of mod through the executor, sets the response
// headers of the run and records its metrics. A failure is a *taskFailure.
func (s *Server) execute(c echo.Context, id string, p invokeParams, input []byte, v modules.Version, mod *host.Module, h *respHeaders) (*host.Result, error) {
	name := v.Name
	ctx := c.Request().Context()
	preemptions := 0
	// The same run path as a durable task's attempt, with an in-memory
	// record: the response.
	res, err := s.runner.Execute(ctx, mod, tasks.Attempt{
		ID:       id,
		Module:   v.Name,
		Version:  v.Version,
		Priority: p.priority,
		Category: p.category,
		Sync:     true,
		// The task's timeout counts from its start; queue_timeout bounds
		// the wait before it.
		QueueTimeout: p.queueTimeout,
		Request: host.Request{
			Input: input, Limits: p.limits, Namespace: v.Name, Config: p.config, Grants: p.grants,
		},
		OnPreempt: func() { preemptions++ },
	})
	if preemptions > 0 {
		h.set(HeaderPreemptions, strconv.Itoa(preemptions))
	}
	outcome := "ok"
	if err != nil {
		_, outcome = codeOf(err)
	}
	if res != nil {
		h.set(HeaderDurationMs, strconv.FormatFloat(float64(res.Duration.Microseconds())/1000, 'f', 3, 64))
		h.set(HeaderFuelUsed, strconv.FormatInt(res.FuelUsed, 10))
		if res.Progress != [2]int64{} {
			h.set(HeaderProgress, strconv.FormatInt(res.Progress[0], 10)+"/"+strconv.FormatInt(res.Progress[1], 10))
		}
		s.metrics.Invocation(name, outcome, res.Duration, res.FuelUsed)
	}
	if err != nil {
		f := &taskFailure{err: err, taskID: id}
		if res != nil {
			f.logs, f.ran, f.fuel = res.Logs, true, res.FuelUsed
		}
		return nil, f
	}
	return res, nil
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
