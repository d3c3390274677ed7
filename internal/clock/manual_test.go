package clock_test

import (
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/clock"
)

// TestManual: timers run in due order when Advance passes them, a stopped
// timer never runs, and Now moves only with Advance.
func TestManual(t *testing.T) {
	start := time.Unix(1_000_000, 0)
	c := clock.NewManual(start)
	var ran []int
	c.AfterFunc(30*time.Millisecond, func() { ran = append(ran, 3) })
	c.AfterFunc(10*time.Millisecond, func() { ran = append(ran, 1) })
	stopped := c.AfterFunc(20*time.Millisecond, func() { ran = append(ran, 2) })
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop of a pending timer must report true once")
	}
	c.Advance(5 * time.Millisecond)
	if len(ran) != 0 || !c.Now().Equal(start.Add(5*time.Millisecond)) {
		t.Fatalf("after 5ms: ran %v, now %v", ran, c.Now())
	}
	c.Advance(time.Second)
	if len(ran) != 2 || ran[0] != 1 || ran[1] != 3 {
		t.Fatalf("ran %v, want [1 3]", ran)
	}
}
