package tasks

import (
	"context"
	"time"

	"github.com/nexustask/nexus/internal/errkind"
	"github.com/nexustask/nexus/internal/events"
)

// InvokeEvents returns the middleware that publishes an invoke.finished
// event for every synchronous invoke (Attempt.Sync) through publish
// (an events.Appender's Append), naming node. Durable attempts publish
// their own events with their record (events.go).
func InvokeEvents(publish func(*events.Event), node string) Middleware {
	return MiddlewareFunc(func(ctx context.Context, a *Attempt, next RunFunc) error {
		err := next(ctx, a)
		if !a.Sync {
			return err
		}
		e := &events.Event{Type: events.InvokeFinished, Time: time.Now().UTC(), TaskID: a.ID,
			Module: a.Resolved.Name, Version: a.Resolved.Version, Priority: a.Priority, Category: a.Category, Node: node,
			State: string(Succeeded)}
		if err != nil {
			e.State = string(Failed)
			e.Data.ErrorCode, e.Data.ErrorMessage = errkind.Code(err), err.Error()
		}
		if a.Ran {
			e.Data.FuelUsed, e.Data.DurationMs = a.Result.FuelUsed, a.Result.Duration.Milliseconds()
			e.Data.Done, e.Data.Total = a.Result.Progress[0], a.Result.Progress[1]
		}
		if e.Module == "" {
			e.Module = a.Module // it did not resolve
		}
		publish(e)
		return err
	})
}
