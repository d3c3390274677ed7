// Package client is the Go client of NexusTask's HTTP API v1: upload and
// list modules, invoke them synchronously, submit durable tasks and collect
// their results, page through task lists, manage schedules and the result
// cache, and probe the server's health.
//
// A Client is made once with New and is safe for concurrent use by many
// goroutines; every method takes a context.Context that bounds the request
// (a long-poll for a task's result lasts at most as long as its context).
//
// The types of this package are the API's wire types, in one place: each
// mirrors the JSON the server writes, field for field, with the same names
// and tags, so a value decoded from a response holds everything the server
// said. Responses that a caller may want verbatim (to print the server's
// own JSON) keep it in a Raw field.
//
// Errors: a response with a status of 400 or more is returned as an
// *Error, carrying the API's error code (see the Code constants and
// IsCode) and, for a failed task, its id, the fuel it used, its exit code
// and its logs. Network failures are returned as net/http reports them
// (a *url.Error), so errors.As finds them.
//
// The package imports the standard library only.
package client
