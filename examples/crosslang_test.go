package examples_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/nexustask/nexus/examples/internal/exampletest"
	"github.com/nexustask/nexus/host"
)

// languages whose examples implement the same four tasks with the same
// output: examples/<lang>/<task>/<task>.wasm.
var languages = []string{"go", "rust", "c", "assemblyscript", "wat"}

// crossInputs are the inputs every language's examples must answer alike:
// the specification's cases and a few more.
func crossInputs() map[string][]string {
	wordcount := []string{
		"the cat and the hat\n",
		"b a c b a c\td\re\n\nf \"quoted\" back\\slash \x01ctl é é\n",
		"one two three four five six seven eight nine ten one two three four five six one two three one",
	}
	for _, c := range exampletest.WordcountCases() {
		wordcount = append(wordcount, c.Input)
	}
	return map[string][]string{
		"wordcount": wordcount,
		"sha256":    append(exampletest.SHA256Inputs(), "1000:hello world ", "0:x", "3:"),
		"longjob":   {"", "1", "1000", "2500", "0", " 42\n"},
	}
}

// TestSameOutputInEveryLanguage runs each example of every language on the
// same inputs and requires byte-identical outputs: the examples are one
// specification written in several languages.
func TestSameOutputInEveryLanguage(t *testing.T) {
	if testing.Short() {
		t.Skip("short: compiles every language's examples")
	}
	e := exampletest.NewEnv(t)
	ctx := context.Background()
	inputs := crossInputs()
	for _, name := range []string{"longjob", "sha256", "wordcount"} {
		t.Run(name, func(t *testing.T) {
			mods := map[string]*host.Module{}
			for _, lang := range languages {
				mods[lang] = exampletest.Compile(t, e.RT, exampletest.Path(lang, name))
			}
			for _, in := range inputs[name] {
				var want []byte
				for i, lang := range languages {
					res, err := e.RT.Run(ctx, mods[lang], host.Request{Input: []byte(in), Namespace: lang + "-" + name})
					if err != nil {
						t.Fatalf("%s %s(%.40q): %v", lang, name, in, err)
					}
					if i == 0 {
						want = res.Output
					} else if !bytes.Equal(res.Output, want) {
						t.Errorf("%s(%.40q): %s gives %.80q, %s gives %.80q", name, in, languages[0], want, lang, res.Output)
					}
				}
			}
		})
	}
	t.Run("counter", func(t *testing.T) {
		for _, lang := range languages {
			m := exampletest.Compile(t, e.RT, exampletest.Path(lang, "counter"))
			ns := "cross-" + lang
			for _, c := range []struct{ step, want string }{{"", "1"}, {"", "2"}, {"", "3"}, {"5", "8"}, {"-10", "-2"}} {
				req := host.Request{Namespace: ns}
				if c.step != "" {
					req.Config = map[string]string{"step": c.step}
				}
				res, err := e.RT.Run(ctx, m, req)
				if err != nil || string(res.Output) != c.want {
					t.Fatalf("%s counter step=%q: %q %v, want %s", lang, c.step, res.Output, err, c.want)
				}
			}
		}
	})
}
