//go:build wasip1

// Command wordcount is a nexus-v1 task that counts the words, lines and
// bytes of its input and lists the five most frequent words, as JSON:
//
//	{"words":9,"lines":2,"bytes":44,"top":[["the",3],["a",2],...]}
//
// A word is a maximal run of bytes other than ASCII whitespace (space, \t,
// \n, \v, \f, \r), compared byte for byte (case-sensitive); lines counts
// newline bytes, like wc -l. "top" holds at most five [word, count] pairs,
// by count descending, ties in ascending byte order. In words, '"' and '\'
// are escaped with a backslash and bytes below 0x20 as \u00XX; other
// bytes are copied as they are. The examples of every language produce
// the same output for the same input.
//
// Build (see examples/go/build.sh):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -w' -o wordcount.wasm .
package main

import (
	"slices"
	"strconv"
	"strings"

	nexus "github.com/nexustask/nexus/abi/sdk/go"
)

func init() { nexus.Run(wordcount) }

func main() {}

// topN is how many words "top" lists.
const topN = 5

type wordCount struct {
	word  string
	count int
}

func wordcount(in []byte) ([]byte, error) {
	counts := map[string]int{}
	words, lines := 0, 0
	start := -1 // start of the current word, or -1 between words
	for i, c := range in {
		if c == '\n' {
			lines++
		}
		switch {
		case isSpace(c) && start >= 0:
			counts[string(in[start:i])]++
			words++
			start = -1
		case !isSpace(c) && start < 0:
			start = i
		}
	}
	if start >= 0 {
		counts[string(in[start:])]++
		words++
	}
	nexus.Logf(nexus.LevelInfo, "%d words, %d distinct", words, len(counts))
	return encode(words, lines, len(in), top(counts)), nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// top returns the topN most frequent words, by count descending, ties in
// ascending byte order.
func top(counts map[string]int) []wordCount {
	all := make([]wordCount, 0, len(counts))
	for w, n := range counts {
		all = append(all, wordCount{w, n})
	}
	slices.SortFunc(all, func(a, b wordCount) int {
		if a.count != b.count {
			return b.count - a.count
		}
		return strings.Compare(a.word, b.word)
	})
	return all[:min(topN, len(all))]
}

func encode(words, lines, size int, top []wordCount) []byte {
	b := []byte(`{"words":`)
	b = strconv.AppendInt(b, int64(words), 10)
	b = append(b, `,"lines":`...)
	b = strconv.AppendInt(b, int64(lines), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, int64(size), 10)
	b = append(b, `,"top":[`...)
	for i, wc := range top {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendString(b, wc.word)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(wc.count), 10)
		b = append(b, ']')
	}
	return append(b, "]}"...)
}

// appendString appends s as a JSON string with the minimal escaping the
// package comment describes.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
