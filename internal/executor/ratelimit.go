package executor

import (
	"golang.org/x/time/rate"
)

// newLimiters builds one token bucket per rated category. The buckets are
// read with the executor's clock (ReserveN and CancelAt take the time), so
// an injected clock drives them entirely.
func newLimiters(rates map[string]Rate) map[string]*rate.Limiter {
	lims := make(map[string]*rate.Limiter, len(rates))
	for cat, r := range rates {
		lims[cat] = rate.NewLimiter(rate.Limit(r.PerSecond), r.Burst)
	}
	return lims
}

// admitRateLocked takes a rate token for t. It returns nil if t may be
// queued now; a *RateLimitError if t is synchronous and would wait longer
// than SyncRateWait; otherwise it parks t until its token is due and
// returns errRateWait.
func (e *Executor) admitRateLocked(t *task) error {
	lim := e.limiters[t.cat]
	if lim == nil {
		return nil
	}
	now := e.clock.Now()
	r := lim.ReserveN(now, 1) // OK: Validate requires Burst >= 1
	d := r.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	if t.job.Sync && d > e.cfg.SyncRateWait {
		r.CancelAt(now)
		e.rateLimited++
		e.obs.RateLimited(t.cat)
		return &RateLimitError{Category: t.cat, RetryAfter: d}
	}
	t.state, t.res = stateRateWait, r
	e.rateWaiting++
	t.timer = e.clock.AfterFunc(d, func() { e.rateReady(t) })
	return errRateWait
}

// rateReady queues t once its rate token is due.
func (e *Executor) rateReady(t *task) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t.state != stateRateWait {
		return // canceled meanwhile
	}
	e.rateWaiting--
	t.res = nil
	e.enqueueLocked(t)
}

// dropRateWaitLocked abandons t's rate wait and gives its token back.
func (e *Executor) dropRateWaitLocked(t *task) {
	t.timer.Stop()
	t.res.CancelAt(e.clock.Now())
	t.res = nil
	e.rateWaiting--
}
