package executor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func TestPriorityOrder(t *testing.T) {
	e := newExec(t, Config{Workers: 1})
	release := occupy(t, e, MaxPriority)
	var order recorder[int]
	var prios []int
	for p := MinPriority; p <= MaxPriority; p++ {
		prios = append(prios, p, p, p)
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(prios), func(i, j int) { prios[i], prios[j] = prios[j], prios[i] })
	var hs []*Handle
	for i, p := range prios {
		h, err := e.Submit(context.Background(), Job{ID: fmt.Sprint(i), Priority: p, Run: func(context.Context, Yielder) error {
			order.add(p)
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	if got := e.Stats().QueuedTotal(); got != len(prios) {
		t.Fatalf("queued %d, want %d", got, len(prios))
	}
	release()
	waitAll(t, hs)
	got := order.get()
	for i := 1; i < len(got); i++ {
		if got[i] > got[i-1] {
			t.Fatalf("priority %d ran after %d: %v", got[i], got[i-1], got)
		}
	}
}

// dispatchOrder occupies a 1-token executor, queues n jobs of each
// category interleaved at one priority, releases it and returns the
// categories in the order they ran.
func dispatchOrder(t testing.TB, e *Executor, cats []string, n int) []string {
	release := occupy(t, e, MaxPriority)
	var order recorder[string]
	var hs []*Handle
	for range n {
		for _, c := range cats {
			h, err := e.Submit(context.Background(), Job{Priority: 5, Category: c, Run: func(context.Context, Yielder) error {
				order.add(c)
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			hs = append(hs, h)
		}
	}
	release()
	waitAll(t, hs)
	return order.get()
}

func TestFairShareWeights(t *testing.T) {
	weights := map[string]int{"a": 1, "b": 2, "c": 4}
	e := newExec(t, Config{Workers: 1, Weights: weights})
	const n = 3000
	order := dispatchOrder(t, e, []string{"a", "b", "c"}, n)
	// All three stay backlogged until c runs out after 7n/4 dispatches;
	// measure the first 3500.
	counts := map[string]int{}
	for _, c := range order[:3500] {
		counts[c]++
	}
	for c, w := range weights {
		want := 3500 * float64(w) / 7
		if got := float64(counts[c]); got < want*0.9 || got > want*1.1 {
			t.Errorf("category %s (weight %d): %v of 3500 dispatches, want %.0f ±10%%", c, w, got, want)
		}
	}
	t.Logf("first 3500 dispatches: %v", counts)
}

func TestFloodingCategoryCannotStarveAnother(t *testing.T) {
	e := newExec(t, Config{Workers: 1})
	release := occupy(t, e, MaxPriority)
	var order recorder[string]
	var hs []*Handle
	submit := func(cat string) {
		h, err := e.Submit(context.Background(), Job{Priority: 3, Category: cat, Run: func(context.Context, Yielder) error {
			order.add(cat)
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	for range 2000 {
		submit("flood")
	}
	for range 10 {
		submit("small")
	}
	release()
	waitAll(t, hs)
	last := 0
	for i, c := range order.get() {
		if c == "small" {
			last = i
		}
	}
	if last > 20 { // equal weights alternate: small's 10 jobs within the first 20
		t.Fatalf("the small category's last job ran at position %d of %d", last, len(hs))
	}
}

func TestAging(t *testing.T) {
	for _, tc := range []struct {
		name   string
		aging  time.Duration
		waited time.Duration
		want   []int
	}{
		{"off", 0, time.Hour, []int{9, 0}},
		{"not yet", time.Second, 8 * time.Second, []int{9, 0}},
		{"aged past 9", time.Second, 10 * time.Second, []int{0, 9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			e := newExec(t, Config{Workers: 1, AgingInterval: tc.aging, Clock: clock})
			release := occupy(t, e, MaxPriority)
			var order recorder[int]
			submit := func(p int) *Handle {
				h, err := e.Submit(context.Background(), Job{Priority: p, Run: func(context.Context, Yielder) error {
					order.add(p)
					return nil
				}})
				if err != nil {
					t.Fatal(err)
				}
				return h
			}
			low := submit(0)
			clock.Advance(tc.waited)
			high := submit(9)
			release()
			waitAll(t, []*Handle{low, high})
			if got := order.get(); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("order %v, want %v", got, tc.want)
			}
		})
	}
}
