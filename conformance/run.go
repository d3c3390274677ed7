package conformance

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"text/tabwriter"
)

// FixtureLang is the column of cases that run a fixture module instead of a
// language's guest.
const FixtureLang = "fixture"

// Result is one case run in one language.
type Result struct {
	Case *Case
	Lang string
	Err  error // nil when the case passed
}

var unsafeName = regexp.MustCompile(`[^a-z0-9._-]+`)

// moduleName is the module a (language, case) pair runs under.
func moduleName(lang, caseName string) string {
	n := "conf-" + unsafeName.ReplaceAllString(strings.ToLower(lang+"-"+caseName), "-")
	return n[:min(len(n), 64)]
}

// runOne runs case c in language lang (a guest) or as a fixture.
func runOne(ctx context.Context, target Target, c *Case, g *Guest) Result {
	lang, wasm := FixtureLang, []byte(nil)
	var err error
	if g != nil {
		lang, wasm = g.Lang, g.Wasm
	} else if wasm, err = fixture(c.Module); err != nil {
		return Result{c, lang, fmt.Errorf("fixture %s: %w", c.Module, err)}
	}
	name := moduleName(lang, c.Name)
	for child, file := range c.Children {
		cw, err := fixture(file)
		if err == nil {
			err = target.Load(ctx, child, cw)
		}
		if err != nil {
			return Result{c, lang, fmt.Errorf("child %s: %w", child, err)}
		}
	}
	if err := target.Load(ctx, name, wasm); err != nil {
		return Result{c, lang, fmt.Errorf("load: %w", err)}
	}
	input, err := c.input()
	if err != nil {
		return Result{c, lang, err}
	}
	o, err := target.Run(ctx, name, input, c)
	if err != nil {
		return Result{c, lang, err}
	}
	return Result{c, lang, c.Check(o, input)}
}

// RunMatrix runs every case in every guest's language (fixture cases once)
// and returns the results in case order.
func RunMatrix(ctx context.Context, target Target, guests []Guest, cases []Case) []Result {
	var out []Result
	for i := range cases {
		c := &cases[i]
		if c.Module != "" {
			out = append(out, runOne(ctx, target, c, nil))
			continue
		}
		for j := range guests {
			if c.forLang(guests[j].Lang) {
				out = append(out, runOne(ctx, target, c, &guests[j]))
			}
		}
	}
	return out
}

// Run runs the suite as subtests of t: one per case and language.
func Run(t *testing.T, target Target, guests []Guest) {
	t.Helper()
	cases, err := LoadCases()
	if err != nil {
		t.Fatal(err)
	}
	if len(guests) == 0 {
		t.Fatal("conformance: no guests")
	}
	for i := range cases {
		c := &cases[i]
		t.Run(c.File+"/"+c.Name, func(t *testing.T) {
			if c.Module != "" {
				if r := runOne(t.Context(), target, c, nil); r.Err != nil {
					t.Error(r.Err)
				}
				return
			}
			for j := range guests {
				g := &guests[j]
				if !c.forLang(g.Lang) {
					continue
				}
				t.Run(g.Lang, func(t *testing.T) {
					if r := runOne(t.Context(), target, c, g); r.Err != nil {
						t.Error(r.Err)
					}
				})
			}
		})
	}
}

// Summary counts passed and failed results.
func Summary(results []Result) (passed, failed int) {
	for _, r := range results {
		if r.Err == nil {
			passed++
		} else {
			failed++
		}
	}
	return passed, failed
}

// WriteMatrix writes results as a Markdown case × language table, then
// each failure, then the line "N passed, M failed".
func WriteMatrix(w io.Writer, results []Result) {
	var langs []string
	seen := map[string]bool{}
	type row struct {
		c     *Case
		cells map[string]string
	}
	var rows []*row
	byCase := map[*Case]*row{}
	for _, r := range results {
		if !seen[r.Lang] && r.Lang != FixtureLang {
			seen[r.Lang] = true
			langs = append(langs, r.Lang)
		}
		rw := byCase[r.Case]
		if rw == nil {
			rw = &row{c: r.Case, cells: map[string]string{}}
			byCase[r.Case] = rw
			rows = append(rows, rw)
		}
		cell := "pass"
		if r.Err != nil {
			cell = "**FAIL**"
		}
		rw.cells[r.Lang] = cell
	}
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "| case\t| %s\t| fixture\t|\n", strings.Join(langs, "\t| "))
	fmt.Fprintf(tw, "|---\t|%s---\t|\n", strings.Repeat("---\t|", len(langs)))
	for _, rw := range rows {
		cells := make([]string, 0, len(langs)+1)
		for _, l := range append(append([]string(nil), langs...), FixtureLang) {
			c, ok := rw.cells[l]
			if !ok {
				c = ""
			}
			cells = append(cells, c)
		}
		fmt.Fprintf(tw, "| %s/%s\t| %s\t|\n", rw.c.File, rw.c.Name, strings.Join(cells, "\t| "))
	}
	tw.Flush()
	passed, failed := Summary(results)
	if failed > 0 {
		fmt.Fprintln(w, "\nFailures:")
		for _, r := range results {
			if r.Err != nil {
				fmt.Fprintf(w, "- %s/%s [%s]: %v\n", r.Case.File, r.Case.Name, r.Lang, r.Err)
			}
		}
	}
	fmt.Fprintf(w, "\n%d passed, %d failed\n", passed, failed)
}
