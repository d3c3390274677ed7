package conformance

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
)

//go:embed testdata/cases/*.json
var caseFiles embed.FS

// Case is one conformance case.
type Case struct {
	// Name is unique across the suite; File is the case file it came from.
	Name        string `json:"name"`
	File        string `json:"-"`
	Description string `json:"description"`
	// Script is run by a language's conformance guest. A case with Module
	// set runs that fixture instead, once, whatever the language.
	Script []Command `json:"script,omitempty"`
	Module string    `json:"module,omitempty"`
	// Input is the input of a Module case.
	Input  json.RawMessage   `json:"input,omitempty"`
	Config map[string]string `json:"config,omitempty"`
	Limits Limits            `json:"limits"`
	Expect Expect            `json:"expect"`
	// Children are fixtures the case's script spawns, loaded into the
	// target under these names (name → fixture) before the case runs.
	Children map[string]string `json:"children,omitempty"`
	// Languages, if set, limits the case to these guests: an SDK helper
	// that only those languages have (the workflow envelope).
	Languages []string `json:"languages,omitempty"`
}

// Limits are the limits a case's task runs under; zero means the default.
type Limits struct {
	Fuel        int64 `json:"fuel,omitempty"`
	MemoryBytes int64 `json:"memory_bytes,omitempty"`
	TimeoutMS   int64 `json:"timeout_ms,omitempty"`
}

// Expect is what a case's task must produce.
type Expect struct {
	// Output is the sequence of output records (see decodeBytes); a
	// record {"input_len": true} stands for the i32 length of the encoded
	// script. Nil means any output.
	Output []json.RawMessage `json:"output,omitempty"`
	// Error is the error code the task must fail with; "" means success.
	Error string `json:"error,omitempty"`
	// Message must be contained in the error message.
	Message string `json:"message,omitempty"`
	// Logs must each be contained in the task's logs.
	Logs []string `json:"logs,omitempty"`
	// Progress is the last progress the task must have reported.
	Progress *[2]int64 `json:"progress,omitempty"`
}

// LoadCases returns every case of the suite, ordered by file then position.
func LoadCases() ([]Case, error) {
	names, err := fs.Glob(caseFiles, "testdata/cases/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	seen := map[string]bool{}
	var all []Case
	for _, name := range names {
		data, err := caseFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var cases []Case
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cases); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for i := range cases {
			c := &cases[i]
			c.File = strings.TrimSuffix(path.Base(name), ".json")
			if c.Name == "" || seen[c.Name] {
				return nil, fmt.Errorf("%s: case %d: missing or duplicate name %q", name, i, c.Name)
			}
			seen[c.Name] = true
			if (c.Module == "") == (c.Script == nil) {
				return nil, fmt.Errorf("%s: case %s: give a script or a module", name, c.Name)
			}
			if _, err := c.input(); err != nil {
				return nil, fmt.Errorf("%s: case %s: %w", name, c.Name, err)
			}
		}
		all = append(all, cases...)
	}
	return all, nil
}

// input is the task input: the encoded script, or a Module case's input.
// forLang reports whether the case runs in language lang's guest.
func (c *Case) forLang(lang string) bool {
	return len(c.Languages) == 0 || slices.Contains(c.Languages, lang)
}

func (c *Case) input() ([]byte, error) {
	if c.Module != "" {
		if c.Input == nil {
			return nil, nil
		}
		return decodeBytes(c.Input)
	}
	return EncodeScript(c.Script)
}
