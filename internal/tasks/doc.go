// Package tasks holds what every task shares, whether run synchronously or
// submitted: its identity (NewID), the one run path through the executor
// and the host (Runner), and the durable task system (Service).
//
// A Service keeps each task's Record in a Store (internal/store, on
// bbolt) and moves it through its States: scheduled (not due yet, or
// waiting for a retry) → queued → running → succeeded, failed, canceled or
// dead. Every change goes through one group commit, so many submissions and
// state changes share one fsync. Delayed tasks wait on a timer heap; due
// ones wait in a priority queue for one of MaxInFlight slots, then run
// through the Runner, whose executor orders them again by priority, fair
// share and rate. See Service for what is durable when, and RATIONALE.md
// ("Durable tasks") for why.
//
// A running attempt holds a lease (Record.LeaseUntil) that the Service
// renews while the attempt lives; a reaper requeues running records whose
// lease ended and that no attempt of the process holds (lease.go).
//
// A Runner (NewRunner) passes every attempt, invoke or durable, down one
// chain of Middlewares built once: the result cache (Cache, cached.go),
// the invocation metrics (Metrics, metered.go), and at the end the
// executor and the host. A task with a cache_ttl_ms runs through the
// Runner's Cache middleware, the one invokes use; a Runner without one is
// given one over Config.Cache.
//
// Lock order: Service.mu, then committer.mu or kvTxn.mu; no lock is held
// while waiting for a commit or running an attempt. The reaper reads one
// record from the store under Service.mu (rarely: only for a record found
// running with an ended lease).
package tasks
