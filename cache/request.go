package cache

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// MaxTTL is the longest time an entry may live.
const MaxTTL = 30 * 24 * time.Hour

// MaxTags bounds the tags of one entry.
const MaxTags = 16

var tagRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$`)

// ValidTag reports whether tag can tag an entry: 1 to 128 letters, digits
// and . _ : / -, starting with a letter or digit.
func ValidTag(tag string) bool { return tagRE.MatchString(tag) }

// Request describes one cacheable computation for Do.
type Request struct {
	// Key identifies the result (Spec.Key).
	Key Key
	// Module names the module whose run computes the result; InvalidateModule
	// of that name removes the entry.
	Module string
	// Tags are stored with the entry for invalidation by tag. Do does not
	// modify them.
	Tags []string
	// TTL is how long a stored result lives: more than 0, at most MaxTTL.
	TTL time.Duration
}

// validate reports whether r can be used with Do.
func (r *Request) validate() error {
	if _, err := ParseKey(string(r.Key)); err != nil {
		return err
	}
	if r.TTL <= 0 || r.TTL > MaxTTL {
		return fmt.Errorf("%w: ttl %s must be more than 0 and at most %s", ErrInvalid, r.TTL, MaxTTL)
	}
	if len(r.Tags) > MaxTags {
		return fmt.Errorf("%w: %d tags, at most %d", ErrInvalid, len(r.Tags), MaxTags)
	}
	for _, t := range r.Tags {
		if !ValidTag(t) {
			return fmt.Errorf("%w: tag %q must match %s", ErrInvalid, t, tagRE)
		}
	}
	return nil
}

// ParseTTL parses a TTL written as a Go duration (90s, 5m, 1h30m) or as a
// bare number of milliseconds (1500), and checks it is more than 0 and at
// most MaxTTL.
func ParseTTL(s string) (time.Duration, error) {
	var d time.Duration
	if allDigits(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > MaxTTL.Milliseconds() {
			return 0, fmt.Errorf("%w: ttl %q must be more than 0 and at most %s", ErrInvalid, s, MaxTTL)
		}
		d = time.Duration(n) * time.Millisecond
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%w: ttl %q must be a duration like 30s or 5m, or milliseconds", ErrInvalid, s)
		}
	}
	if d <= 0 || d > MaxTTL {
		return 0, fmt.Errorf("%w: ttl %q must be more than 0 and at most %s", ErrInvalid, s, MaxTTL)
	}
	return d, nil
}

// allDigits reports whether s is a non-empty run of ASCII digits, so that
// ParseTTL tries strconv.ParseInt, which allocates an error on failure,
// only where it can succeed.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// CheckCacheable returns nil if a run of version of module may be cached:
// the module declares itself pure (it exports nexus_pure), its tasks do
// not share instances (warm false: a warm instance keeps memory and globals
// from earlier tasks, so its result may depend on them), and the request
// grants no real clock and no random source (nondeterministic false).
// Otherwise it returns an error wrapping ErrNotCacheable that says why.
func CheckCacheable(module string, version int, pure, warm, nondeterministic bool) error {
	if !pure {
		return fmt.Errorf("%w: module %q version %d is not declared pure (a pure module exports a function "+
			"named nexus_pure and writes no kv), so its result may depend on more than its input", ErrNotCacheable, module, version)
	}
	if warm {
		return fmt.Errorf("%w: module %q version %d runs with isolation=warm: its instances keep state from earlier "+
			"tasks, so its result may depend on them; upload it with isolation=fresh to cache it", ErrNotCacheable, module, version)
	}
	if nondeterministic {
		return fmt.Errorf("%w: a task granted a real clock or a random source is not a function of its input; "+
			"drop grant=clock and grant=random to cache it", ErrNotCacheable)
	}
	return nil
}
