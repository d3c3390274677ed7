package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/nexustask/nexus/client"
)

// Upload a module and run a task of it synchronously.
func Example_pushAndInvoke() {
	base, stop := exampleServer() // a NexusTask server, e.g. "http://127.0.0.1:8080"
	defer stop()
	ctx := context.Background()

	c, err := client.New(base)
	if err != nil {
		log.Fatal(err)
	}
	wasm, err := os.ReadFile("../examples/wat/echo.wasm")
	if err != nil {
		log.Fatal(err)
	}
	v, err := c.PushModule(ctx, "echo", wasm, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("stored %s version %d (%s)\n", v.Name, v.Version, v.Profile)

	res, err := c.Invoke(ctx, "echo", []byte("hello"), &client.InvokeOptions{Fuel: 1e9, Timeout: 5 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s (version %d, cache %s, used fuel: %t)\n", res.Output, res.ModuleVersion, res.Cache, res.FuelUsed > 0)
	// Output:
	// stored echo version 1 (wasi-command)
	// hello (version 1, cache bypass, used fuel: true)
}

// Submit a durable task and wait for its result.
func Example_submitAndWait() {
	base, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	c, err := client.New(base)
	if err != nil {
		log.Fatal(err)
	}
	wasm, err := os.ReadFile("../internal/tasks/testdata/tasktest.wasm")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.PushModule(ctx, "counter", wasm, nil); err != nil {
		log.Fatal(err)
	}
	// "c" counts: the task adds one to a counter in the module's kv store.
	task, err := c.SubmitTask(ctx, client.TaskSpec{Module: "counter", Input: "cvisits", IdempotencyKey: "visit-1"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("submitted, new:", *task.Created)

	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	res, err := c.WaitTask(ctx, task.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %s\n", res.State, res.Output)

	// The same idempotency key is the same task: it does not run again.
	again, err := c.SubmitTask(ctx, client.TaskSpec{Module: "counter", Input: "cvisits", IdempotencyKey: "visit-1"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same task:", again.ID == task.ID, "new:", *again.Created)
	// Output:
	// submitted, new: true
	// succeeded: 1
	// same task: true new: false
}

// Page through tasks with the AllTasks iterator: it fetches the pages of
// ListTasks as the loop goes.
func ExampleClient_AllTasks() {
	base, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	c, err := client.New(base)
	if err != nil {
		log.Fatal(err)
	}
	wasm, err := os.ReadFile("../internal/tasks/testdata/tasktest.wasm")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.PushModule(ctx, "tt", wasm, nil); err != nil {
		log.Fatal(err)
	}
	for range 5 {
		// Delayed an hour, so they wait in state scheduled.
		spec := client.TaskSpec{Module: "tt", Input: "n", DelayMs: time.Hour.Milliseconds(), Tags: []string{"report"}}
		if _, err := c.SubmitTask(ctx, spec); err != nil {
			log.Fatal(err)
		}
	}

	n := 0
	for task, err := range c.AllTasks(ctx, client.TaskFilter{Tag: "report", Limit: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		if task.State == client.StateScheduled {
			n++
		}
	}
	fmt.Println(n, "scheduled tasks")

	// One page at a time, by hand.
	page, err := c.ListTasks(ctx, client.TaskFilter{Tag: "report", Limit: 2})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(page.Tasks), "on the first page, more:", page.NextCursor != "")
	// Output:
	// 5 scheduled tasks
	// 2 on the first page, more: true
}

// Tell a refused request from a failed task, and read what the failure
// carries.
func ExampleError() {
	base, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	c, err := client.New(base)
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Invoke(ctx, "missing", nil, nil)
	fmt.Println("not found:", client.IsCode(err, client.CodeModuleNotFound))

	wasm, err := os.ReadFile("../internal/tasks/testdata/tasktest.wasm")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.PushModule(ctx, "tt", wasm, nil); err != nil {
		log.Fatal(err)
	}
	// "l" loops forever: the fuel budget stops it.
	_, err = c.Invoke(ctx, "tt", []byte("l"), &client.InvokeOptions{Fuel: 1e6})
	var e *client.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Code, "task failed:", client.IsTaskFailure(err))
		fmt.Println("has a task id:", e.TaskID != "", "used its fuel:", e.FuelUsed != nil && *e.FuelUsed >= 1e6)
	}
	// Output:
	// not found: true
	// 422 fuel_exhausted task failed: true
	// has a task id: true used its fuel: true
}

// invokeRetrying invokes module name, waiting as the server asks when its
// queue is full or the rate limit is reached.
func invokeRetrying(ctx context.Context, c *client.Client, name string, input []byte) (*client.InvokeResult, error) {
	for {
		res, err := c.Invoke(ctx, name, input, nil)
		var e *client.Error
		if !errors.As(err, &e) || (e.Code != client.CodeQueueFull && e.Code != client.CodeRateLimited) {
			return res, err
		}
		select {
		case <-time.After(e.RetryAfter):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Retry the answers that say "later" (429 queue_full, rate_limited) after
// the Retry-After the server sent.
func ExampleIsCode() {
	base, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	c, err := client.New(base)
	if err != nil {
		log.Fatal(err)
	}
	wasm, err := os.ReadFile("../examples/wat/echo.wasm")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.PushModule(ctx, "echo", wasm, nil); err != nil {
		log.Fatal(err)
	}
	res, err := invokeRetrying(ctx, c, "echo", []byte("eventually"))
	switch {
	case client.IsCode(err, client.CodeModuleNotFound):
		fmt.Println("no such module")
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Printf("%s\n", res.Output)
	}
	// Output:
	// eventually
}
