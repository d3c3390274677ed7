package jetstream_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/store"
	"github.com/nexustask/nexus/internal/store/jetstream"
	"github.com/nexustask/nexus/internal/tasks"
)

// BenchmarkTaskLifecycle measures the store's part of one durable task:
// its creation, its claim, and its outcome with one kv write, each its own
// CommitTasks as a node without group commit makes them. The same
// benchmark runs on bbolt and on JetStream (one embedded server, R1), so
// the ratio is of one run on one machine; for JetStream it reports the
// messages and bytes sent to NATS per task.
func BenchmarkTaskLifecycle(b *testing.B) {
	run := func(b *testing.B, st tasks.Store) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r := queued(i)
			r.ID = fmt.Sprintf("bench%08d", i)
			r.Input = []byte("input")
			if err := st.CommitTasks([]tasks.Write{{Rec: &r}}); err != nil {
				b.Fatal(err)
			}
			c := r
			c.State, c.Attempts, c.Owner = tasks.Running, 1, "node-a"
			if err := st.CommitTasks([]tasks.Write{{Rec: &c, Prev: &r}}); err != nil {
				b.Fatal(err)
			}
			f := c
			f.State, f.Owner, f.Output = tasks.Succeeded, "", []byte("output")
			w := tasks.Write{Rec: &f, Prev: &c, KV: []tasks.KVOp{{Namespace: "mod", Key: "count", Value: []byte(fmt.Sprint(i))}}}
			if err := st.CommitTasks([]tasks.Write{w}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("store=bbolt", func(b *testing.B) {
		db, err := store.Open(b.TempDir(), time.Second)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		run(b, db)
	})
	b.Run("store=jetstream-R1", func(b *testing.B) {
		st, err := jetstream.Open(srv.URL(), jetstream.Options{Name: fmt.Sprintf("B%d", stores.Add(1))})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		msgs0, bytes0 := jetstream.OutStats(st)
		run(b, st)
		msgs, bytes := jetstream.OutStats(st)
		b.ReportMetric(float64(msgs-msgs0)/float64(b.N), "msgs/task")
		b.ReportMetric(float64(bytes-bytes0)/float64(b.N), "bytes/task")
	})
}
