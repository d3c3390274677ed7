// Package health runs a node's health checks: each a function with a
// bound on its time, run together every interval on a goroutine of the
// package's, with its status, latency and last error kept for
// GET /v1/health. While a critical check fails (the store cannot be
// written, the disk is full) the node refuses new work with Refusal's
// error, and takes it again by itself once a later round passes.
package health
