package names

import (
	"regexp"
	"strings"
	"testing"
)

var patternRE = regexp.MustCompile(`^` + Pattern + `$`)

func TestValid(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"", false},
		{"a", true},
		{"0", true},
		{"echo-v1.2_x", true},
		{"-echo", false},
		{".echo", false},
		{"_echo", false},
		{"Echo", false},
		{"echo ", false},
		{"echo\n", false},
		{"éé", false},
		{strings.Repeat("a", MaxLen), true},
		{strings.Repeat("a", MaxLen+1), false},
	} {
		if got := Valid(tc.s); got != tc.want {
			t.Errorf("Valid(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

// FuzzValid checks that Valid agrees with the regular expression Pattern.
func FuzzValid(f *testing.F) {
	for _, s := range []string{"", "a", "echo-v1.2_x", "-a", "A", "a\n", "\xff", strings.Repeat("z", 64), strings.Repeat("z", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Valid(s), patternRE.MatchString(s); got != want {
			t.Fatalf("Valid(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}

func BenchmarkValid(b *testing.B) {
	for b.Loop() {
		Valid("image-resize.v2_beta")
	}
}
