package cache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/nexustask/nexus/cache"
)

// A caller computes the key of what a pure task's result depends on and
// runs the task through Do: the first call runs it, later ones are hits
// until the TTL passes or the module's entries are invalidated.
func ExampleCache_Do() {
	c, err := cache.New(cache.DefaultConfig())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	spec := cache.Spec{Module: "upper", Digest: "sha256:…", Profile: "nexus-v1", Input: []byte("hello")}
	req := cache.Request{Key: spec.Key(), Module: "upper", Tags: []string{"demo"}, TTL: time.Minute}
	run := func(context.Context) (cache.Result, error) {
		fmt.Println("running the task")
		return cache.Result{Output: []byte("HELLO"), FuelUsed: 42}, nil
	}
	for range 2 {
		res, outcome, err := c.Do(context.Background(), req, run)
		fmt.Println(string(res.Output), outcome, err)
	}
	fmt.Println(c.Invalidate(cache.Selector{Tag: "demo"}), "invalidated")
	// Output:
	// running the task
	// HELLO miss <nil>
	// HELLO hit <nil>
	// 1 invalidated
}
