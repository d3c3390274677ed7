package otlptest

import (
	"fmt"
	"strconv"
	"strings"
)

func itoa(i int64) string   { return strconv.FormatInt(i, 10) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// Named returns the spans named name.
func Named(spans []Span, name string) []Span {
	var out []Span
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// ByID returns the span with the given id, and whether there is one.
func ByID(spans []Span, id string) (Span, bool) {
	for _, s := range spans {
		if s.SpanID == id {
			return s, true
		}
	}
	return Span{}, false
}

// Path returns the names from the root of span's trace down to span,
// joined by " → ", following ParentSpanID through spans; a parent not
// among spans (a remote one) ends the path with its id in brackets.
func Path(spans []Span, span Span) string {
	names := []string{span.Name}
	for p := span.ParentSpanID; p != ""; {
		s, ok := ByID(spans, p)
		if !ok {
			names = append(names, fmt.Sprintf("[%s]", p))
			break
		}
		names = append(names, s.Name)
		p = s.ParentSpanID
	}
	for i, j := 0, len(names)-1; i < j; i, j = i+1, j-1 {
		names[i], names[j] = names[j], names[i]
	}
	return strings.Join(names, " → ")
}
