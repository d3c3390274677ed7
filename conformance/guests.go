package conformance

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
)

//go:embed guests/*/guest.wasm testdata/modules/*.wasm
var embedded embed.FS

// Guest is one language's conformance guest.
type Guest struct {
	Lang string
	Wasm []byte
}

// Guests returns the conformance guests built into the suite, by language.
func Guests() ([]Guest, error) {
	paths, err := fs.Glob(embedded, "guests/*/guest.wasm")
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []Guest
	for _, p := range paths {
		wasm, err := embedded.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, Guest{Lang: path.Base(path.Dir(p)), Wasm: wasm})
	}
	return out, nil
}

// SelectGuests keeps the guests of the named languages, in that order.
func SelectGuests(all []Guest, langs []string) ([]Guest, error) {
	if len(langs) == 0 {
		return all, nil
	}
	var out []Guest
	for _, l := range langs {
		found := false
		for _, g := range all {
			if g.Lang == l {
				out, found = append(out, g), true
			}
		}
		if !found {
			return nil, fmt.Errorf("conformance: no guest for language %q", l)
		}
	}
	return out, nil
}

// fixture returns a Module case's wasm from testdata/modules.
func fixture(name string) ([]byte, error) {
	return embedded.ReadFile("testdata/modules/" + name + ".wasm")
}
