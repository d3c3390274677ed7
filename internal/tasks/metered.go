package tasks

import (
	"context"
	"errors"
	"time"

	"github.com/nexustask/nexus/host"

	"github.com/nexustask/nexus/internal/errkind"
)

// InvocationRecorder records finished runs (internal/metrics' Metrics).
// Its methods must be safe for concurrent use.
type InvocationRecorder interface {
	// Invocation records one run of module: outcome is "ok" or the
	// error's code, d the time the guest ran, fuel the fuel it used.
	Invocation(module, outcome string, d time.Duration, fuel int64)
}

// Metrics returns the middleware that records every attempt that ran the
// guest in rec, under the module's name, with "ok" or the error's code
// (errkind.Code) as its outcome. Attempts that did not run (answered by
// the cache, refused by the executor) are not recorded.
func Metrics(rec InvocationRecorder) Middleware { return metricsStep{rec} }

// metricsStep is the Metrics middleware.
type metricsStep struct{ rec InvocationRecorder }

// Run implements Middleware.
func (m metricsStep) Run(ctx context.Context, a *Attempt, next RunFunc) error {
	err := next(ctx, a)
	if a.Ran {
		outcome := "ok"
		if err != nil {
			outcome = errkind.Code(err)
		}
		m.rec.Invocation(a.Resolved.Name, outcome, a.Result.Duration, a.Result.FuelUsed)
	}
	if p, ok := m.rec.(PanicRecorder); ok {
		if pe := (*host.PanicError)(nil); errors.As(err, &pe) {
			p.Panic("task")
		}
	}
	return err
}

// PanicRecorder is an InvocationRecorder that also counts panics: the
// Metrics middleware tells it of each run stopped by a panic in a host
// function (*host.PanicError), as where "task".
type PanicRecorder interface {
	Panic(where string)
}
