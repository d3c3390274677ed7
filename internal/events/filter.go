package events

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nexustask/nexus/internal/errkind"
)

// ErrInvalidFilter is wrapped by every refusal of a filter: an unknown
// type, a malformed prefix. It is a kind of errkind.ErrInvalidRequest.
var ErrInvalidFilter = fmt.Errorf("events: invalid filter: %w", errkind.ErrInvalidRequest)

// Filter selects events. Zero fields match everything; set fields must
// all match.
type Filter struct {
	// Types are event types, each exact ("task.failed") or a prefix
	// ending in ".*" ("task.*"); an event matches if it matches one.
	Types []string
	// Module, Task, Tag and Category match the event's fields (Tag one
	// of its tags).
	Module   string
	Task     string
	Tag      string
	Category string
	// Workflow matches the event's workflow id.
	Workflow string
}

// Validate refuses a type that is not one of Types nor a prefix of one.
func (f Filter) Validate() error {
	for _, t := range f.Types {
		if p, ok := strings.CutSuffix(t, ".*"); ok {
			if p == "" || strings.ContainsAny(p, "*") || !slices.ContainsFunc(Types, func(x string) bool { return strings.HasPrefix(x, p+".") }) {
				return fmt.Errorf("%w: no event type matches %q", ErrInvalidFilter, t)
			}
			continue
		}
		if !KnownType(t) {
			return fmt.Errorf("%w: unknown event type %q (types: %s, or a prefix such as task.*)", ErrInvalidFilter, t, strings.Join(Types, ", "))
		}
	}
	return nil
}

// Match reports whether e passes f.
func (f *Filter) Match(e *Event) bool {
	if f.Module != "" && e.Module != f.Module ||
		f.Task != "" && e.TaskID != f.Task ||
		f.Category != "" && e.Category != f.Category ||
		f.Workflow != "" && e.Workflow != f.Workflow ||
		f.Tag != "" && !slices.Contains(e.Tags, f.Tag) {
		return false
	}
	if len(f.Types) == 0 {
		return true
	}
	for _, t := range f.Types {
		if p, ok := strings.CutSuffix(t, "*"); ok {
			if strings.HasPrefix(e.Type, p) {
				return true
			}
		} else if e.Type == t {
			return true
		}
	}
	return false
}
