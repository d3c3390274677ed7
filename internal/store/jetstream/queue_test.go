package jetstream_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/store/jetstream"
	"github.com/nexustask/nexus/proto"
)

func queue(t *testing.T, st *jetstream.Store, lease time.Duration) *jetstream.Queue {
	t.Helper()
	q, err := st.Queue(jetstream.QueueOptions{Bands: 3, Lease: lease, Poll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// envelope returns the envelope of task id queued in band.
func envelope(id string, band int) *proto.TaskEnvelope {
	return &proto.TaskEnvelope{TaskId: id, Module: "mod", Version: 1, Band: int32(band),
		NodeSelector: map[string]string{"zone": "a"}}
}

func pull(t *testing.T, q *jetstream.Queue) *jetstream.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	j, err := q.Pull(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func wantLen(t *testing.T, q *jetstream.Queue, want int) {
	t.Helper()
	n, err := q.Len()
	if err != nil || n != want {
		t.Fatalf("Len = %d, %v; want %d", n, err, want)
	}
}

// TestQueueBands checks that the highest band is pulled first, each band
// in order, that a job is pushed once per dedup key, and that an acked
// job leaves the queue.
func TestQueueBands(t *testing.T) {
	st := open(t)
	q := queue(t, st, time.Minute)
	for i, band := range []int{0, 0, 2, 1, 0} {
		if err := q.Push(envelope(fmt.Sprintf("t%d", i), band), fmt.Sprintf("t%d/1", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Push(envelope("t0", 0), "t0/1"); err != nil { // a retried push
		t.Fatal(err)
	}
	wantLen(t, q, 5)
	var got []string
	for range 5 {
		j := pull(t, q)
		got = append(got, fmt.Sprintf("%s@%d", j.TaskId, j.Band))
		if err := j.Ack(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if want := "[t2@2 t3@1 t0@0 t1@0 t4@0]"; fmt.Sprint(got) != want {
		t.Fatalf("pulled %v, want %s", got, want)
	}
	wantLen(t, q, 0)
	// A pull waits for a push.
	done := make(chan *jetstream.Job)
	go func() { done <- pull(t, q) }()
	if err := q.Push(envelope("late", 1), ""); err != nil {
		t.Fatal(err)
	}
	if j := <-done; j.TaskId != "late" {
		t.Fatalf("pulled %s after waiting", j.TaskId)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.Pull(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Pull with an ended context: %v", err)
	}
}

// TestQueueLease checks the lease: a job pulled by a node that neither
// acks nor renews it is delivered to another node once its lease ends,
// and a job renewed with InProgress is not.
func TestQueueLease(t *testing.T) {
	a, b := twoNodes(t)
	const lease = 2 * time.Second
	qa, qb := queue(t, a, lease), queue(t, b, lease)
	if err := qa.Push(envelope("dies", 0), ""); err != nil {
		t.Fatal(err)
	}
	if j := pull(t, qa); j.TaskId != "dies" || j.Delivered != 1 {
		t.Fatalf("first pull: %s, delivery %d", j.TaskId, j.Delivered)
	}
	// a "dies": it never acks. b gets the job again after the lease.
	j := pull(t, qb)
	if j.TaskId != "dies" || j.Delivered != 2 {
		t.Fatalf("after a's lease: %s, delivery %d", j.TaskId, j.Delivered)
	}
	if err := j.Ack(context.Background()); err != nil {
		t.Fatal(err)
	}
	// a holds a job and renews it for two leases: b, pulling
	// meanwhile, does not get it.
	if err := qa.Push(envelope("lives", 0), ""); err != nil {
		t.Fatal(err)
	}
	held := pull(t, qa)
	stop := make(chan struct{})
	renewed := make(chan error, 1)
	go func() {
		tick := time.NewTicker(lease / 20)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				renewed <- nil
				return
			case <-tick.C:
				if err := held.InProgress(); err != nil {
					renewed <- err
					return
				}
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*lease)
	defer cancel()
	if j, err := qb.Pull(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("b pulled %+v, %v while a renewed its lease", j, err)
	}
	close(stop)
	if err := <-renewed; err != nil {
		t.Fatal(err)
	}
	if err := held.Ack(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantLen(t, qa, 0)
}
