package tasks

import "context"

// RunFunc runs an attempt: the rest of a Runner's chain, as a middleware
// sees it.
type RunFunc func(ctx context.Context, a *Attempt) error

// Middleware is one piece of work around every run of a Runner: result
// caching, metrics, events, tracing, quotas. Run is called with the
// attempt, its module version resolved (Attempt.Resolved), and next, the
// rest of the chain; it may answer without calling next (a cache hit),
// change the attempt before next, and observe it after. A Middleware is
// shared by every run of its Runner, so Run must be safe for concurrent
// use.
type Middleware interface {
	Run(ctx context.Context, a *Attempt, next RunFunc) error
}

// MiddlewareFunc adapts a function to a Middleware.
type MiddlewareFunc func(ctx context.Context, a *Attempt, next RunFunc) error

// Run calls f.
func (f MiddlewareFunc) Run(ctx context.Context, a *Attempt, next RunFunc) error {
	return f(ctx, a, next)
}

// link returns next wrapped in mw. It allocates once, when the chain is
// built; running the chain allocates nothing.
func link(mw Middleware, next RunFunc) RunFunc {
	return func(ctx context.Context, a *Attempt) error { return mw.Run(ctx, a, next) }
}
