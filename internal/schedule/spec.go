package schedule

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nexustask/nexus/internal/names"
)

// Overlap says what a due time does while an earlier run of the same
// schedule has not finished.
type Overlap string

// Overlap policies.
const (
	// OverlapSkip skips the due time (recorded as a skipped run).
	OverlapSkip Overlap = "skip"
	// OverlapBufferOne keeps the due time and fires it when the earlier
	// runs have finished; a further due time while one is buffered is
	// skipped.
	OverlapBufferOne Overlap = "buffer_one"
	// OverlapAllow fires regardless, so runs may overlap.
	OverlapAllow Overlap = "allow"
)

// CatchUp says what happens to due times that passed while the server was
// down.
type CatchUp string

// Catch-up policies.
const (
	// CatchUpNone fires none of them (each is recorded as missed).
	CatchUpNone CatchUp = "none"
	// CatchUpOne fires the latest of them; the others are missed.
	CatchUpOne CatchUp = "one"
	// CatchUpAll fires each of them, oldest first, up to
	// Config.MaxCatchUp; older ones are missed.
	CatchUpAll CatchUp = "all"
)

// Defaults of a Spec's policies.
const (
	DefaultOverlap = OverlapSkip
	DefaultCatchUp = CatchUpOne
)

// MaxTemplateBytes bounds a schedule's task template.
const MaxTemplateBytes = 64 << 10

// Spec defines a schedule: the body of POST /v1/schedules. Exactly one of
// Cron and Every is set.
type Spec struct {
	// Name identifies the schedule: [a-z0-9][a-z0-9._-]{0,63}.
	Name string `json:"name"`
	// Cron is a 5-field (minute precision) or 6-field (leading seconds)
	// cron expression, or a descriptor such as @hourly, optionally
	// prefixed with CRON_TZ=<zone> or TZ=<zone>.
	Cron string `json:"cron,omitempty"`
	// Timezone is the IANA zone Cron is read in; "" means the prefix's
	// zone, or UTC.
	Timezone string `json:"timezone,omitempty"`
	// Every is a Go duration ("90s", "1h"): due times are the multiples of
	// it since the Unix epoch.
	Every string `json:"every,omitempty"`
	// Task is the task template: a POST /v1/tasks body, submitted once per
	// due time with the idempotency key "schedule/<name>/<due unix>".
	Task json.RawMessage `json:"task"`
	// Overlap and CatchUp are the policies; "" means DefaultOverlap and
	// DefaultCatchUp.
	Overlap Overlap `json:"overlap,omitempty"`
	CatchUp CatchUp `json:"catch_up,omitempty"`
	// Paused schedules fire nothing until resumed.
	Paused bool `json:"paused,omitempty"`
}

// normalize fills defaults and checks s at now, returning its timetable.
// Errors wrap ErrInvalid.
func (s *Spec) normalize(minEvery time.Duration, now time.Time) (timetable, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
	}
	if !names.Valid(s.Name) {
		return nil, bad("name %q must match "+names.Pattern, s.Name)
	}
	if s.Overlap == "" {
		s.Overlap = DefaultOverlap
	}
	if s.CatchUp == "" {
		s.CatchUp = DefaultCatchUp
	}
	switch s.Overlap {
	case OverlapSkip, OverlapBufferOne, OverlapAllow:
	default:
		return nil, bad("overlap %q must be skip, buffer_one or allow", s.Overlap)
	}
	switch s.CatchUp {
	case CatchUpNone, CatchUpOne, CatchUpAll:
	default:
		return nil, bad("catch_up %q must be none, one or all", s.CatchUp)
	}
	t := bytes.TrimSpace(s.Task)
	if len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return nil, bad("task must be a JSON object (a POST /v1/tasks body)")
	}
	if len(t) > MaxTemplateBytes {
		return nil, bad("task template is %d bytes, more than %d", len(t), MaxTemplateBytes)
	}
	s.Task = append(json.RawMessage(nil), t...)
	switch {
	case s.Cron != "" && s.Every != "":
		return nil, bad("give cron or every, not both")
	case s.Cron != "":
		return parseCron(s.Cron, s.Timezone, now)
	case s.Every != "":
		if s.Timezone != "" {
			return nil, bad("timezone applies to cron schedules only")
		}
		d, err := time.ParseDuration(s.Every)
		if err != nil {
			return nil, bad("every %q is not a duration such as 30s or 1h: %v", s.Every, err)
		}
		if d < minEvery {
			return nil, bad("every %s is shorter than the minimum %s", d, minEvery)
		}
		s.Every = d.String()
		return every(d), nil
	}
	return nil, bad("give cron (a cron expression) or every (a duration)")
}
