package node_test

import (
	"context"
	"encoding/binary"
	"os"
	"testing"
	"time"

	"github.com/nexustask/nexus/client"
)

// spawnChildren is the fan-out of BenchmarkSpawnAwait.
const spawnChildren = 1000

// BenchmarkSpawnAwait compares, in one run, two ways to run the same
// 1,000 trivial tasks ("tt" mode n) and collect their results, one
// iteration each: path=guest is one parent task (spawner.wasm) that
// spawns the 1,000 children with task_spawn and awaits them all;
// path=http submits the 1,000 tasks over HTTP as one list (POST /v1/tasks,
// one commit) and collects their results with POST /v1/tasks/results,
// the fastest way a client has. Compare with
//
//	go test ./internal/node -run '^$' -bench SpawnAwait -count 8 > spawn.txt
//	benchstat -col /path spawn.txt
func BenchmarkSpawnAwait(b *testing.B) {
	_, c := benchNode(b)
	ctx := context.Background()
	wasm, err := os.ReadFile("../tasks/testdata/spawner.wasm")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.PushModule(ctx, "sp", wasm, nil); err != nil {
		b.Fatal(err)
	}
	// The parent's input (see spawner.wat): mode, count, module, base.
	in := []byte{'a', 0, 0, 0, 0, 2, 't', 't', 'n'}
	binary.LittleEndian.PutUint32(in[1:], spawnChildren)
	specs := make([]client.TaskSpec, spawnChildren)
	for i := range specs {
		specs[i] = client.TaskSpec{Module: "tt", InputBase64: []byte{'n', byte(i)}}
	}
	b.Run("path=guest", func(b *testing.B) {
		for b.Loop() {
			t, err := c.SubmitTask(ctx, client.TaskSpec{Module: "sp", InputBase64: in, TimeoutMs: 600_000})
			if err != nil {
				b.Fatal(err)
			}
			res, err := c.WaitTask(ctx, t.ID)
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Output) != spawnChildren {
				b.Fatalf("output of %d bytes, want %d", len(res.Output), spawnChildren)
			}
		}
		b.ReportMetric(float64(spawnChildren*b.N)/b.Elapsed().Seconds(), "children/s")
	})
	b.Run("path=http", func(b *testing.B) {
		for b.Loop() {
			subs, err := c.SubmitTasks(ctx, specs)
			if err != nil {
				b.Fatal(err)
			}
			ids := make([]string, len(subs))
			for i, s := range subs {
				if s.Error != nil {
					b.Fatal(s.Error)
				}
				ids[i] = s.ID
			}
			for done := 0; done < len(ids); {
				rs, err := c.Results(ctx, ids, 30*time.Second)
				if err != nil {
					b.Fatal(err)
				}
				done = 0
				for _, r := range rs {
					if r.State == client.StateSucceeded {
						done++
					}
				}
			}
		}
		b.ReportMetric(float64(spawnChildren*b.N)/b.Elapsed().Seconds(), "children/s")
	})
}
