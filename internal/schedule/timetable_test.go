package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestTimetableNext(t *testing.T) {
	tests := []struct {
		name  string
		spec  Spec
		after string
		want  []string // the next due times, in order
	}{
		{"every second", Spec{Every: "1s"}, "2026-01-01T12:00:00.3Z",
			[]string{"2026-01-01T12:00:01Z", "2026-01-01T12:00:02Z"}},
		{"every is strictly after", Spec{Every: "1s"}, "2026-01-01T12:00:00Z",
			[]string{"2026-01-01T12:00:01Z"}},
		{"every 90m since the epoch", Spec{Every: "90m"}, "2026-01-01T00:10:00Z",
			[]string{"2026-01-01T01:30:00Z", "2026-01-01T03:00:00Z"}},
		{"5 fields, UTC by default", Spec{Cron: "*/15 * * * *"}, "2026-01-01T12:07:59Z",
			[]string{"2026-01-01T12:15:00Z", "2026-01-01T12:30:00Z"}},
		{"6 fields with seconds", Spec{Cron: "*/10 * * * * *"}, "2026-01-01T12:00:05Z",
			[]string{"2026-01-01T12:00:10Z", "2026-01-01T12:00:20Z"}},
		{"descriptor", Spec{Cron: "@daily"}, "2026-01-01T12:00:00Z",
			[]string{"2026-01-02T00:00:00Z"}},
		{"CRON_TZ prefix, winter", Spec{Cron: "CRON_TZ=Europe/Berlin 0 9 * * *"}, "2026-01-10T00:00:00Z",
			[]string{"2026-01-10T08:00:00Z"}},
		{"TZ prefix, summer", Spec{Cron: "TZ=Europe/Berlin 0 9 * * *"}, "2026-07-10T00:00:00Z",
			[]string{"2026-07-10T07:00:00Z"}},
		{"timezone field", Spec{Cron: "0 9 * * 1-5", Timezone: "Asia/Tokyo"}, "2026-01-09T01:00:00Z", // Friday 10:00 JST
			[]string{"2026-01-12T00:00:00Z"}}, // Monday 09:00 JST
		// 2026-03-08 02:00 EST jumps to 03:00 EDT: 02:30 does not exist that day.
		{"spring forward skips a missing time", Spec{Cron: "30 2 * * *", Timezone: "America/New_York"}, "2026-03-07T12:00:00Z",
			[]string{"2026-03-09T06:30:00Z"}},
		{"spring forward, hourly", Spec{Cron: "30 * * * *", Timezone: "America/New_York"}, "2026-03-08T06:00:00Z",
			[]string{"2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z"}}, // 01:30 EST, 03:30 EDT
		// 2026-11-01 02:00 EDT falls back to 01:00 EST: 01:30 happens twice.
		{"fall back fires a named hour once", Spec{Cron: "30 1 * * *", Timezone: "America/New_York"}, "2026-10-31T12:00:00Z",
			[]string{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
		{"fall back fires every hour twice", Spec{Cron: "30 * * * *", Timezone: "America/New_York"}, "2026-11-01T05:00:00Z",
			[]string{"2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z", "2026-11-01T07:30:00Z"}},
		{"fall back, seconds field", Spec{Cron: "0 0 1 * * *", Timezone: "America/New_York"}, "2026-11-01T04:59:59Z",
			[]string{"2026-11-01T05:00:00Z", "2026-11-02T06:00:00Z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.spec
			s.Name, s.Task = "s", []byte(`{"module":"m"}`)
			tt, err := s.normalize(time.Second, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			at := mustTime(t, tc.after)
			for i, w := range tc.want {
				at = tt.next(at)
				if want := mustTime(t, w); !at.Equal(want) {
					t.Fatalf("due %d: got %s, want %s", i, at.Format(time.RFC3339), want.Format(time.RFC3339))
				}
			}
		})
	}
}

func TestSpecInvalid(t *testing.T) {
	task := []byte(`{"module":"m"}`)
	tests := []struct {
		name string
		spec Spec
		msg  string
	}{
		{"bad name", Spec{Name: "Bad Name", Every: "1s", Task: task}, "name"},
		{"neither", Spec{Name: "s", Task: task}, "give cron"},
		{"both", Spec{Name: "s", Cron: "* * * * *", Every: "1m", Task: task}, "not both"},
		{"field out of range", Spec{Name: "s", Cron: "61 * * * *", Task: task}, "61"},
		{"too few fields", Spec{Name: "s", Cron: "* * *", Task: task}, "fields"},
		{"too many fields", Spec{Name: "s", Cron: "* * * * * * *", Task: task}, "fields"},
		{"unknown zone", Spec{Name: "s", Cron: "TZ=Mars/Base * * * * *", Task: task}, "unknown time zone"},
		{"zone without expression", Spec{Name: "s", Cron: "CRON_TZ=UTC", Task: task}, "no expression"},
		{"two zones", Spec{Name: "s", Cron: "TZ=UTC * * * * *", Timezone: "Europe/Paris", Task: task}, "differs"},
		{"bad timezone field", Spec{Name: "s", Cron: "* * * * *", Timezone: "nowhere", Task: task}, "unknown time zone"},
		{"@every", Spec{Name: "s", Cron: "@every 1m", Task: task}, "every field"},
		{"never due", Spec{Name: "s", Cron: "0 0 30 2 *", Task: task}, "never due"},
		{"every not a duration", Spec{Name: "s", Every: "soon", Task: task}, "not a duration"},
		{"every too short", Spec{Name: "s", Every: "500ms", Task: task}, "minimum 1s"},
		{"every with zone", Spec{Name: "s", Every: "1m", Timezone: "UTC", Task: task}, "cron schedules only"},
		{"no task", Spec{Name: "s", Every: "1m"}, "task must be"},
		{"task not an object", Spec{Name: "s", Every: "1m", Task: []byte(`[1]`)}, "task must be"},
		{"bad overlap", Spec{Name: "s", Every: "1m", Task: task, Overlap: "queue"}, "overlap"},
		{"bad catch_up", Spec{Name: "s", Every: "1m", Task: task, CatchUp: "some"}, "catch_up"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.spec.normalize(time.Second, time.Now())
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want ErrInvalid mentioning %q", err, tc.msg)
			}
		})
	}
}

func TestSpecDefaults(t *testing.T) {
	s := Spec{Name: "s", Every: "60s", Task: []byte(` {"module":"m"} `)}
	if _, err := s.normalize(time.Second, time.Now()); err != nil {
		t.Fatal(err)
	}
	if s.Overlap != DefaultOverlap || s.CatchUp != DefaultCatchUp || s.Every != "1m0s" || string(s.Task) != `{"module":"m"}` {
		t.Fatalf("normalized: %+v", s)
	}
}

func TestIdempotencyKey(t *testing.T) {
	for due, want := range map[string]string{
		"2026-01-01T00:00:00Z":     "schedule/n/1767225600",
		"2026-01-01T00:00:00.5Z":   "schedule/n/1767225600.5",
		"2026-01-01T00:00:00.025Z": "schedule/n/1767225600.025",
	} {
		if got := IdempotencyKey("n", mustTime(t, due)); got != want {
			t.Errorf("%s: got %s, want %s", due, got, want)
		}
	}
}

// FuzzCron checks that no expression panics the parser and that every
// accepted one yields strictly increasing due times.
func FuzzCron(f *testing.F) {
	for _, s := range []string{"* * * * *", "*/10 * * * * *", "CRON_TZ=Europe/Berlin 0 9 * * 1-5", "TZ=", "TZ=UTC",
		"@daily", "@every 1s", "0 0 29 2 *", "30 1 * * *", "5-1 * * * *", "*/0 * * * *", "0 0 31 4 *"} {
		f.Add(s, "")
	}
	f.Add("30 2 * * *", "America/New_York")
	at := time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr, zone string) {
		s := Spec{Name: "f", Cron: expr, Timezone: zone, Task: []byte(`{}`)}
		tt, err := s.normalize(time.Second, time.Now())
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%q: error %v does not wrap ErrInvalid", expr, err)
			}
			return
		}
		prev := at
		for range 5 {
			n := tt.next(prev)
			if n.IsZero() {
				return
			}
			if !n.After(prev) {
				t.Fatalf("%q in %q: next(%s) = %s", expr, zone, prev, n)
			}
			prev = n
		}
	})
}
