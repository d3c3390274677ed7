package events_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/store"
)

// openLog opens a real store in a temporary directory with a bus as its
// event sink.
func openLog(t *testing.T) (*store.DB, *events.Bus) {
	t.Helper()
	db, err := store.Open(t.TempDir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bus := events.NewBus(db)
	db.SetEventSink(bus.Publish)
	return db, bus
}

// TestBusHammer: writers append events concurrently while subscribers
// with buffers of one to a few events read, some slowly: each sees every
// event that passes its filter, once, in id order, and no writer waits
// for a subscriber.
func TestBusHammer(t *testing.T) {
	db, bus := openLog(t)
	const writers, per = 4, 250
	type subCase struct {
		f      events.Filter
		buffer int
		slow   bool
	}
	cases := []subCase{
		{events.Filter{}, 1, true},
		{events.Filter{}, 4, false},
		{events.Filter{Types: []string{"task.*"}}, 2, true},
		{events.Filter{Module: "m1"}, 8, false},
		{events.Filter{Task: "t1"}, 1, true},
		{events.Filter{Task: "t1", Types: []string{"task.*"}}, 2, false},
	}
	subs := make([]*events.Subscription, len(cases))
	for i, c := range cases {
		var err error
		if subs[i], err = bus.SubscribeLive(c.f, c.buffer); err != nil {
			t.Fatal(err)
		}
		defer subs[i].Close()
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				typ := events.TaskSucceeded
				if i%3 == 0 {
					typ = events.ModuleUploaded
				}
				mod := []string{"m0", "m1"}[(w+i)%2]
				task := ""
				if i%5 == 0 {
					task = "t1"
				}
				if err := db.AppendEvents(&events.Event{Type: typ, Module: mod, TaskID: task, Time: time.Now()}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	all, err := db.ReadEvents(0, nil, writers*per+1)
	if err != nil || len(all) != writers*per {
		t.Fatalf("log holds %d events, %v", len(all), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, c := range cases {
		var want []string
		for _, e := range all {
			if c.f.Match(e) {
				want = append(want, e.ID)
			}
		}
		for j, id := range want {
			e, err := subs[i].Next(ctx)
			if err != nil {
				t.Fatalf("subscriber %d, event %d: %v", i, j, err)
			}
			if e.ID != id {
				t.Fatalf("subscriber %d, event %d: %s, want %s", i, j, e.ID, id)
			}
			if c.slow && j%50 == 0 {
				time.Sleep(time.Millisecond) // let the publisher get ahead; not a synchronisation
			}
		}
		short, cancelShort := context.WithTimeout(ctx, 20*time.Millisecond)
		if e, err := subs[i].Next(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("subscriber %d: extra event %v, %v", i, e, err)
		}
		cancelShort()
	}
}

// TestSubscriptionGone: a subscriber whose cursor was trimmed gets a
// *GoneError with the oldest id kept.
func TestSubscriptionGone(t *testing.T) {
	db, bus := openLog(t)
	old := time.Now().Add(-time.Hour)
	for range 3 {
		if err := db.AppendEvents(&events.Event{Type: events.ModuleDeleted, Time: old}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.AppendEvents(&events.Event{Type: events.ModuleDeleted, Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if n, err := db.TrimEvents(time.Now().Add(-time.Minute), 0, 0, 100); err != nil || n != 3 {
		t.Fatalf("trimmed %d %v", n, err)
	}
	// The bus still has the trimmed events in its ring of recent ones,
	// and a subscriber of it misses nothing; one of a bus started after
	// (a restart) reads the log.
	if e, err := bus.Subscribe(events.Filter{}, 1, 4).Next(context.Background()); err != nil || e.Seq() != 2 {
		t.Fatalf("Next from the ring: %v %v", e, err)
	}
	bus = events.NewBus(db)
	sub := bus.Subscribe(events.Filter{}, 1, 4)
	defer sub.Close()
	_, err := sub.Next(context.Background())
	var gone *events.GoneError
	if !errors.As(err, &gone) || gone.Oldest != events.FormatID(4) || !errors.Is(err, events.ErrGone) {
		t.Fatalf("Next after trimmed cursor: %v", err)
	}
	sub2 := bus.Subscribe(events.Filter{}, 3, 4)
	defer sub2.Close()
	if e, err := sub2.Next(context.Background()); err != nil || e.Seq() != 4 {
		t.Fatalf("Next from the last trimmed: %v %v", e, err)
	}
}

// TestTrimByCount: the count bound drops the oldest events but stops at
// what a webhook still needs.
func TestTrimByCount(t *testing.T) {
	db, _ := openLog(t)
	for range 10 {
		if err := db.AppendEvents(&events.Event{Type: events.ModuleDeleted, Time: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.TrimEvents(time.Time{}, 5, 3, 100); err != nil || n != 2 {
		t.Fatalf("trimmed %d %v, want 2 (held at 3)", n, err)
	}
	if n, err := db.TrimEvents(time.Time{}, 5, 0, 100); err != nil || n != 3 {
		t.Fatalf("trimmed %d %v, want 3 (no webhook holds any)", n, err)
	}
	oldest, last, _ := db.EventBounds()
	if oldest != 6 || last != 10 {
		t.Fatalf("bounds %d..%d", oldest, last)
	}
}
