package server

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/nexustask/nexus/internal/errcode"
)

// Defaults for compilations of uploads.
const (
	// DefaultCompileTimeout bounds the validation, instrumentation,
	// compilation and snapshot of one upload. The structural limits of
	// host/fuel keep real modules far below it; it stops what the limits
	// cannot foresee.
	DefaultCompileTimeout = 30 * time.Second
	// DefaultCompileQueue is how many uploads may wait for a compilation
	// slot per slot; past it an upload is answered 503 at once.
	DefaultCompileQueue = 4
)

// compileGate admits uploads to compilation: at most max compile at once
// and at most queue wait; the rest are refused with 503 unavailable and
// Retry-After, so a burst of uploads cannot take every CPU and the
// memory of every module at once.
type compileGate struct {
	slots   chan struct{}
	queue   int64
	waiting atomic.Int64
}

func newCompileGate(max, queue int) *compileGate {
	if max <= 0 {
		max = runtime.GOMAXPROCS(0)
	}
	if queue < 0 {
		queue = 0
	} else if queue == 0 {
		queue = DefaultCompileQueue * max
	}
	return &compileGate{slots: make(chan struct{}, max), queue: int64(queue)}
}

// errCompilesBusy is returned when every compilation slot is taken and the
// queue is full.
var errCompilesBusy = fmt.Errorf("%w: every compilation slot is taken and the upload queue is full; retry later", errcode.ErrUnavailable)

// acquire takes a slot, waiting in the queue while ctx allows. The
// returned function gives the slot back.
func (g *compileGate) acquire(ctx context.Context) (func(), error) {
	select {
	case g.slots <- struct{}{}:
		return g.release, nil
	default:
	}
	if g.waiting.Add(1) > g.queue {
		g.waiting.Add(-1)
		return nil, errCompilesBusy
	}
	defer g.waiting.Add(-1)
	select {
	case g.slots <- struct{}{}:
		return g.release, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

func (g *compileGate) release() { <-g.slots }
