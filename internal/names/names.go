// Package names checks the names users give modules, schedules, task
// categories and tags: one rule, part of the HTTP contract, for all of
// them. It imports nothing, so that every package may use it.
package names

// Pattern is the regular expression every valid name matches whole, for
// messages: "%q must match " + Pattern.
const Pattern = "[a-z0-9][a-z0-9._-]{0,63}"

// MaxLen is the length of the longest valid name, in bytes.
const MaxLen = 64

// Valid reports whether s is a valid name, that is whether it matches
// Pattern whole: 1 to MaxLen bytes, each a lowercase ASCII letter, a digit,
// '.', '_' or '-', the first a letter or a digit. It is safe for
// concurrent use and does not allocate.
func Valid(s string) bool {
	if len(s) == 0 || len(s) > MaxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}
