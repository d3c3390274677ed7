//go:build wasip1

package nexus

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// Handler is a task function: it gets the task's whole input and returns
// its output, or an error that fails the task. Output written through
// Output before it returns comes first.
type Handler func(input []byte) (output []byte, err error)

var handler Handler

// Run registers h as the task function. Call it once, from an init function
// of package main: a reactor never runs main, but the host's call of
// _initialize runs every init function before it calls nexus_run.
//
// When the task runs, the exported nexus_run reads the whole input, calls h
// and writes the output h returns. If h returns an error, nexus_run passes
// its message to error_set and returns 1 (or the code of a *TaskError).
// A panic in h is recovered: the stack is logged at LevelError and the
// task fails with "panic: <value>".
//
// Run panics if h is nil or if a task function is already registered.
func Run(h Handler) {
	if h == nil {
		panic("nexus: Run with a nil handler")
	}
	if handler != nil {
		panic("nexus: Run called twice")
	}
	handler = h
}

// nexusRun is the entry point of the nexus-v1 profile.
//
//go:wasmexport nexus_run
func nexusRun() (code int32) {
	if handler == nil {
		setError("nexus: no task function registered; call nexus.Run from an init function")
		return 1
	}
	defer func() {
		if v := recover(); v != nil {
			Log(LevelError, fmt.Sprintf("panic: %v\n\n%s", v, debug.Stack()))
			setError(fmt.Sprintf("panic: %v", v))
			code = 1
		}
	}()
	out, err := handler(readInput())
	if err == nil && len(out) > 0 {
		_, err = Output.Write(out)
	}
	if err != nil {
		return fail(err)
	}
	return 0
}

// fail reports err as the task's error and returns nexus_run's result.
func fail(err error) int32 {
	var te *TaskError
	if !errors.As(err, &te) {
		setError(err.Error())
		return 1
	}
	if te.Message != "" {
		setError(te.Message)
	}
	if te.Code == 0 {
		return 1
	}
	return te.Code
}

// setError is error_set: the message reported if nexus_run fails; the last
// call wins, and the host keeps up to 4 KiB.
func setError(msg string) { errorSet(stringPtr(msg), uint32(len(msg))) }
