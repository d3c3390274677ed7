// Package workflow runs workflows: graphs of steps, each a durable task
// of the task service (internal/tasks), with chains, batches and map
// fan-out as shapes of one graph.
//
// A Definition is what a client submits (POST /v1/workflows, /v1/batches,
// /v1/chains). Decode and its Batch and Chain builders turn a body into
// one; Engine.Submit validates it whole (every problem listed), then
// commits it with its first steps' tasks in one transaction.
//
// The Engine is the task service's Outcomes hook: when a step's task
// ends, the hook decides in memory which steps are now ready, skipped or
// canceled, and adds their tasks, the step and workflow records and the
// workflow events to the transaction that commits the outcome. So a
// crash falls before the whole hand-off or after it (RATIONALE.md,
// "Workflows").
//
// The Engine holds every unfinished workflow in memory, a cache of the
// store's records loaded by Load before the task service starts; finished
// ones are read from the store. Its methods are safe for concurrent use.
//
// Lock order: tasks.Service's transaction mutex, then Engine.mu (the hook
// runs with the first held). Engine methods that commit take Engine.mu
// inside Service.Transact, never around it.
package workflow
