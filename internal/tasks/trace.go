package tasks

import (
	"context"
	"time"

	"github.com/nexustask/nexus/internal/errkind"
	"github.com/nexustask/nexus/internal/telemetry"
)

// Trace returns the middleware that records every attempt as spans of
// tr, each a child of the one before, as the attempt went:
//
//	queue          submitted (Attempt.Submitted) → handed to the executor
//	executor.wait  → holding a worker token; "preempted" (nexus.preempted_by)
//	               and "resumed" events for each preemption
//	instantiate    → the instance is ready (nexus.instance.source)
//	run            → the guest returned (fuel used, memory peak, outcome;
//	               kv and checkpoint calls summarised as events)
//
// The spans join the span in ctx (an invoke's HTTP request), or else the
// attempt's TraceParent (a durable task's submitter). A durable task adds
// a commit span under run when it records the outcome. Put Trace in the
// chain only when tr is on: it costs a few allocations per attempt.
func Trace(tr *telemetry.Tracer) Middleware { return traceStep{tr} }

// traceStep is the Trace middleware.
type traceStep struct{ tr *telemetry.Tracer }

// attemptTrace is what a durable attempt keeps of its trace after the
// chain: the tracer and the context of the run span.
type attemptTrace struct {
	tr  *telemetry.Tracer
	ctx context.Context
}

// start starts a span under the attempt's run span; a zero Span if the
// attempt was not traced.
func (t *attemptTrace) start(name string) telemetry.Span {
	if t == nil || t.tr == nil {
		return telemetry.Span{}
	}
	_, s := t.tr.Start(t.ctx, name, time.Time{})
	return s
}

// Run implements Middleware.
func (m traceStep) Run(ctx context.Context, a *Attempt, next RunFunc) error {
	ctx = telemetry.ContextWithParent(ctx, a.TraceParent, a.TraceState)
	now := time.Now()
	submitted := a.Submitted
	if submitted.IsZero() || submitted.After(now) {
		submitted = now
	}
	task := []telemetry.Attr{
		telemetry.String("nexus.task.id", a.ID),
		telemetry.String("nexus.module", a.Resolved.Name),
		telemetry.Int("nexus.module.version", int64(a.Resolved.Version)),
		telemetry.Int("nexus.priority", int64(a.Priority)),
	}
	if a.Category != "" {
		task = append(task, telemetry.String("nexus.category", a.Category))
	}
	qctx, queue := m.tr.Start(ctx, "queue", submitted, task...)
	queue.EndAt(now)
	wctx, wait := m.tr.Start(qctx, "executor.wait", now)

	var token time.Time
	onStart, onPreemptBy, onResume := a.OnStart, a.onPreemptBy, a.OnResume
	a.OnStart = func() {
		token = time.Now()
		if onStart != nil {
			onStart()
		}
	}
	a.onPreemptBy = func(by string) {
		wait.Event("preempted", telemetry.String("nexus.preempted_by", by))
		if onPreemptBy != nil {
			onPreemptBy(by)
		}
	}
	a.OnResume = func() {
		wait.Event("resumed")
		if onResume != nil {
			onResume()
		}
	}
	err := next(ctx, a)
	a.OnStart, a.onPreemptBy, a.OnResume = onStart, onPreemptBy, onResume

	if token.IsZero() { // never ran: refused, timed out in the queue, canceled
		wait.Fail(err, errkind.Code(err))
		wait.End()
		return err
	}
	wait.Set(telemetry.Int("nexus.preemptions", int64(a.Preemptions)))
	wait.EndAt(token)
	if !a.Ran {
		return err
	}
	res := &a.Result
	ready := token.Add(res.Instantiate)
	ictx, inst := m.tr.Start(wctx, "instantiate", token, telemetry.String("nexus.instance.source", res.Source))
	inst.EndAt(ready)
	rctx, run := m.tr.Start(ictx, "run", ready)
	outcome := "ok"
	if err != nil {
		outcome = errkind.Code(err)
		run.Fail(err, outcome)
	}
	run.Set(telemetry.Int("nexus.fuel.used", res.FuelUsed),
		telemetry.Int("nexus.memory.peak_bytes", int64(res.MemoryBytes)),
		telemetry.String("nexus.exit", outcome),
		telemetry.Int("nexus.output.bytes", int64(len(res.Output))))
	end := token.Add(res.Duration)
	if res.KVOps > 0 {
		run.EventAt("host.kv", end, telemetry.Int("nexus.kv.ops", res.KVOps))
	}
	if res.Checkpoints > 0 {
		run.EventAt("host.checkpoint", end, telemetry.Int("nexus.checkpoints", res.Checkpoints))
	}
	run.EndAt(end)
	if a.trace != nil {
		a.trace.tr, a.trace.ctx = m.tr, rctx
	}
	return err
}
