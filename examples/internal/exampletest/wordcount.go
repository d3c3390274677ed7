package exampletest

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/nexustask/nexus/host"
)

// Case is one input of an example and the output every language gives.
type Case struct {
	Name, Input, Want string
}

// WordcountCases returns the inputs of the wordcount specification and
// their outputs: whitespace, escapes, raw bytes, ties, and an input with
// thousands of distinct words.
func WordcountCases() []Case {
	many, manyWant := manyWords()
	return []Case{
		{"empty", "", `{"words":0,"lines":0,"bytes":0,"top":[]}`},
		{"text", "the quick brown fox\njumps over the lazy dog\nThe dog barks; the fox runs.\n",
			`{"words":15,"lines":3,"bytes":73,"top":[["the",3],["dog",2],["fox",2],["The",1],["barks;",1]]}`},
		{"escapes", "a\"b \t c\\d\r\na\"b \x01x\x7f",
			`{"words":4,"lines":1,"bytes":18,"top":[["a\"b",2],["\u0001x` + "\x7f" + `",1],["c\\d",1]]}`},
		{"whitespace", " a\tb\r\nb\va\fc \n", `{"words":5,"lines":2,"bytes":13,"top":[["a",2],["b",2],["c",1]]}`},
		{"bytes", "caf\xc3\xa9 \xff\xfe Caf\xc3\xa9 caf\xc3\xa9", `{"words":4,"lines":0,"bytes":20,"top":[["café",2],["Café",1],["` + "\xff\xfe" + `",1]]}`},
		{"prefixes", "ab a abc ab a abc b", `{"words":7,"lines":0,"bytes":19,"top":[["a",2],["ab",2],["abc",2],["b",1]]}`},
		{"many", many, manyWant},
	}
}

// manyWords returns an input with thousands of distinct words (enough to
// grow a task's hash table several times) and its expected output.
func manyWords() (input, want string) {
	var b strings.Builder
	counts := map[string]int{}
	words, lines := 0, 0
	for i := range 5000 {
		w := fmt.Sprintf("w%d", i*7919%5003)
		for range 1 + i%4 {
			b.WriteString(w)
			b.WriteByte(" \n\t"[i%3])
			counts[w]++
			words++
			if i%3 == 1 {
				lines++
			}
		}
	}
	type wc struct {
		w string
		n int
	}
	var all []wc
	for w, n := range counts {
		all = append(all, wc{w, n})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].n != all[j].n {
			return all[i].n > all[j].n
		}
		return all[i].w < all[j].w
	})
	var top []string
	for _, x := range all[:5] {
		top = append(top, fmt.Sprintf("[%q,%d]", x.w, x.n))
	}
	input = b.String()
	want = fmt.Sprintf(`{"words":%d,"lines":%d,"bytes":%d,"top":[%s]}`, words, lines, len(input), strings.Join(top, ","))
	return input, want
}

// Wordcount checks the language's wordcount against WordcountCases.
func Wordcount(t *testing.T, l Lang) {
	e := NewEnv(t)
	m := l.compile(t, e, "wordcount")
	for _, c := range WordcountCases() {
		t.Run(c.Name, func(t *testing.T) {
			res := e.Run(t, m, "wordcount", host.Request{Input: []byte(c.Input)})
			if got := string(res.Output); got != c.Want {
				t.Errorf("output\n%s\nwant\n%s", got, c.Want)
			}
		})
	}
}
