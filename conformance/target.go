package conformance

import (
	"context"
	"time"
)

// Outcome is what running a case's task produced.
type Outcome struct {
	Output   []byte
	Code     string // error code; "" for success
	Message  string
	Logs     string
	Progress [2]int64
	// HasLogs and HasProgress say whether the target reported them.
	HasLogs, HasProgress bool
}

// Target runs tasks for the suite: in-process or on a live server.
type Target interface {
	// Name names the target in reports.
	Name() string
	// Load makes wasm runnable under name. Each (language, case) pair gets
	// its own name, so kv state never leaks between cases.
	Load(ctx context.Context, name string, wasm []byte) error
	// Run runs one task of the module loaded under name.
	Run(ctx context.Context, name string, input []byte, c *Case) (Outcome, error)
	// Close releases what the target holds.
	Close() error
}

func (l Limits) timeout() time.Duration { return time.Duration(l.TimeoutMS) * time.Millisecond }
