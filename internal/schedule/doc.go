// Package schedule runs persistent cron and interval schedules: each
// schedule submits one task, built from its template, per due time.
//
// A Manager keeps every schedule in a Store and gives each one a goroutine
// that sleeps on a timer until the schedule's next due time, decides what
// the due time does (fire, skip, buffer: the overlap policy; missed due
// times of a restart: the catch-up policy), and submits the task through a
// Submitter. Firing is durable: the decision to fire a due time is
// recorded before the task is submitted, and the submission carries the
// idempotency key "schedule/<name>/<due unix>", so a crash at any point
// fires each due time exactly once (see RATIONALE.md).
//
// The package imports neither the task system nor bbolt: Store and
// Submitter are the small interfaces it needs, implemented by
// internal/store and by the wiring in cmd/nexus.
package schedule
