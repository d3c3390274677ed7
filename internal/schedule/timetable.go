package schedule

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // time zones work on hosts without a zoneinfo database

	"github.com/robfig/cron/v3"
)

// timetable computes a schedule's due times.
type timetable interface {
	// next returns the first due time strictly after t, or the zero time
	// if there is none within five years.
	next(t time.Time) time.Time
}

// every is an interval schedule: the multiples of the duration since the
// Unix epoch, so "every 1s" is due on whole seconds and "every 1h" on the
// hour (UTC).
type every time.Duration

func (e every) next(t time.Time) time.Time {
	d := int64(e)
	ns := t.UnixNano()
	k := ns / d
	if ns < 0 && ns%d != 0 {
		k-- // floor division
	}
	return time.Unix(0, (k+1)*d).UTC()
}

// cronParser reads 5-field expressions (minute precision), 6-field ones
// with leading seconds, and descriptors such as @daily.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour |
	cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// cronTable is a cron schedule in a time zone.
type cronTable struct {
	spec *cron.SpecSchedule
	// fixedHours is set when the expression names hours: a wall-clock time
	// repeated when clocks fall back then fires once, not twice.
	fixedHours bool
}

// parseCron parses expr, which may start with CRON_TZ=<zone> or TZ=<zone>,
// read in zone (or the prefix's zone, or UTC). Errors wrap ErrInvalid.
func parseCron(expr, zone string, now time.Time) (timetable, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: cron %q: "+format, append([]any{ErrInvalid, expr}, args...)...)
	}
	rest := strings.TrimSpace(expr)
	if strings.HasPrefix(rest, "TZ=") || strings.HasPrefix(rest, "CRON_TZ=") {
		prefix, tail, ok := strings.Cut(rest, " ")
		if !ok || strings.TrimSpace(tail) == "" {
			return nil, bad("no expression after the time zone")
		}
		_, z, _ := strings.Cut(prefix, "=")
		if zone != "" && zone != z {
			return nil, bad("time zone %q differs from timezone %q", z, zone)
		}
		zone, rest = z, strings.TrimSpace(tail)
	}
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "Local" {
		return nil, bad("unknown time zone %q (want an IANA name such as Europe/Berlin)", zone)
	}
	if strings.HasPrefix(rest, "@every") {
		return nil, bad("use the every field for intervals")
	}
	s, err := cronParser.Parse(rest)
	if err != nil {
		return nil, bad("%v (want 5 fields \"min hour dom month dow\" or 6 with leading seconds)", err)
	}
	spec, ok := s.(*cron.SpecSchedule)
	if !ok {
		return nil, bad("unsupported expression")
	}
	spec.Location = loc
	const allHours = 1<<24 - 1
	t := &cronTable{spec: spec, fixedHours: spec.Hour&allHours != allHours}
	if t.next(now).IsZero() {
		return nil, bad("never due in the next five years")
	}
	return t, nil
}

func (c *cronTable) next(t time.Time) time.Time {
	for {
		n := c.spec.Next(t)
		if n.IsZero() || !c.fixedHours || !repeatedWallClock(n.In(c.spec.Location)) {
			return n.UTC()
		}
		t = n
	}
}

// repeatedWallClock reports whether t's wall-clock time already happened
// earlier, because clocks were set back (end of daylight saving time).
func repeatedWallClock(t time.Time) bool {
	_, now := t.Zone()
	_, before := t.Add(-3 * time.Hour).Zone()
	if before <= now {
		return false
	}
	e := t.Add(-time.Duration(before-now) * time.Second)
	y1, m1, d1 := t.Date()
	y2, m2, d2 := e.Date()
	return y1 == y2 && m1 == m2 && d1 == d2 && t.Hour() == e.Hour() && t.Minute() == e.Minute() && t.Second() == e.Second()
}
