package schedule

import "time"

// maxMissedScan bounds how many missed due times catch-up walks through;
// past it the rest are skipped without a record.
const maxMissedScan = 1_000_000

// catchUp applies the catch-up policy to the due times that passed while
// the server was down (those before r.catchUpBefore). It records the ones
// that will not fire as missed and moves NextDue to the first that will;
// the normal loop then fires them, oldest first, through the overlap
// policy. It reports false if the store failed.
func (r *runner) catchUp() bool {
	if r.s.Paused || r.s.NextDue.IsZero() || !r.s.NextDue.Before(r.catchUpBefore) {
		return true
	}
	fire := 0
	switch r.s.CatchUp {
	case CatchUpOne:
		fire = 1
	case CatchUpAll:
		fire = r.m.cfg.MaxCatchUp
	}
	keep := fire + r.m.cfg.KeepRuns
	var missed []time.Time // the newest keep due times before catchUpBefore
	total := 0
	d := r.s.NextDue
	for ; !d.IsZero() && d.Before(r.catchUpBefore); d = r.tt.next(d) {
		if total++; total > maxMissedScan {
			d = r.tt.next(r.catchUpBefore.Add(-time.Nanosecond))
			break
		}
		if len(missed) == 2*keep {
			missed = append(missed[:0], missed[keep:]...)
		}
		missed = append(missed, d)
	}
	missed = missed[max(len(missed)-keep, 0):]
	fire = min(fire, len(missed))
	n := r.next()
	runs := make([]Run, 0, len(missed)-fire)
	for _, m := range missed[:len(missed)-fire] {
		runs = append(runs, Run{Due: m, Outcome: OutcomeMissed})
	}
	n.NextDue = d
	if fire > 0 {
		n.NextDue = missed[len(missed)-fire]
	}
	r.m.log.Info("schedule: catching up after restart", "schedule", r.s.Name, "policy", r.s.CatchUp,
		"missed", total-fire, "firing", fire)
	return r.commit(n, runs...)
}
