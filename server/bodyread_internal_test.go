package server

import (
	"testing"
	"time"
)

// TestBodyDeadline: a body arriving at the minimum rate or faster never
// reaches its deadline; a trickle below it, or a stall of the timeout,
// does.
func TestBodyDeadline(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	const timeout, rate = 10 * time.Second, 1000
	sim := func(bytesPerSec int, seconds int, stallAfter int) (cut int) {
		d := bodyDeadline{timeout: timeout, rate: rate, start: t0, last: t0}
		for s := 1; s <= seconds; s++ {
			now := t0.Add(time.Duration(s) * time.Second)
			if !now.Before(d.at()) {
				return s
			}
			if stallAfter == 0 || s <= stallAfter {
				d.got(bytesPerSec, now)
			}
		}
		return 0
	}
	for _, c := range []struct {
		name              string
		rate, secs, stall int
		cut               int
	}{
		{"at the rate, an hour", rate, 3600, 0, 0},
		{"faster", 50 * rate, 3600, 0, 0},
		{"1 byte/s", 1, 3600, 0, 11},
		{"half the rate", rate / 2, 3600, 0, 19},
		{"fast then stalled", 50 * rate, 3600, 100, 110},
	} {
		if got := sim(c.rate, c.secs, c.stall); got != c.cut {
			t.Errorf("%s: cut at %d s, want %d", c.name, got, c.cut)
		}
	}
	flat := bodyDeadline{timeout: timeout, start: t0, last: t0}
	flat.got(1<<30, t0.Add(time.Second))
	if !flat.at().Equal(t0.Add(timeout)) {
		t.Errorf("flat deadline %v", flat.at())
	}
}
