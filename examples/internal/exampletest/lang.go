package exampletest

import (
	"slices"
	"testing"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host"
)

// Lang describes one language's examples: where they are and what of
// their behaviour the specification leaves to each language.
type Lang struct {
	// Name is the language, as in examples/<Name>.
	Name string
	// Dir holds the examples: Dir/<example>/<example>.wasm.
	Dir string
	// Pure reports whether wordcount and sha256 export nexus_pure.
	Pure bool
	// Initialize reports whether the modules export _initialize (a WASI
	// reactor's constructors); every module is checked to have no _start.
	Initialize bool
	// Lenient reports whether numbers in the input, configuration and
	// kv may carry surrounding ASCII whitespace.
	Lenient bool
	// Checkpoint decodes longjob's checkpoint for a run of n steps.
	Checkpoint CheckpointFormat
	// Messages are the task error messages the examples report.
	Messages Messages
}

// Messages are the task error messages a language's examples report for
// bad input. An empty message is not checked.
type Messages struct {
	// BadStep is counter's message for the configuration step=x.
	BadStep string
	// BadStored is counter's message when kv "count" holds "many".
	BadStored string
	// NoStore is counter's message on a host without a kv store.
	NoStore string
	// StepsPrefix starts longjob's message for an input that is not a
	// number.
	StepsPrefix string
	// InputPrefix starts sha256's message for a malformed input.
	InputPrefix string
}

// Standard returns the Lang of a language whose examples follow the
// specification to the letter, as examples/c/README.md describes it: in
// Dir ".", wordcount and sha256 pure, numbers with surrounding whitespace
// accepted, the 24-byte checkpoint, and the C SDK's messages. A language
// that differs changes the fields it needs.
func Standard(name string) Lang {
	return Lang{
		Name:       name,
		Dir:        ".",
		Pure:       true,
		Lenient:    true,
		Checkpoint: CheckpointNDoneHash,
		Messages: Messages{
			BadStep:     "config step: not a decimal number",
			BadStored:   "kv count: not a decimal number",
			NoStore:     "kv count: nexus: denied",
			StepsPrefix: "input: ",
			InputPrefix: "input: ",
		},
	}
}

// Run runs every example check against the language's committed modules,
// one subtest per example.
func Run(t *testing.T, l Lang) {
	t.Run("wordcount", func(t *testing.T) { Wordcount(t, l) })
	t.Run("counter", func(t *testing.T) { Counter(t, l) })
	t.Run("longjob", func(t *testing.T) { Longjob(t, l) })
	t.Run("sha256", func(t *testing.T) { SHA256(t, l) })
}

// pure are the examples declared pure where the language can.
var pure = map[string]bool{"wordcount": true, "sha256": true}

// compile compiles the language's example name on e and checks its
// exports and whether it is declared pure.
func (l Lang) compile(t *testing.T, e *Env, name string) *host.Module {
	t.Helper()
	m := Compile(t, e.RT, Path(l.Dir, name))
	exports := m.Exports()
	if slices.Contains(exports, abi.ExportStart) {
		t.Errorf("%s %s: exports %q", l.Name, name, abi.ExportStart)
	}
	if want := l.Pure && pure[name]; m.Pure() != want {
		t.Errorf("%s %s: pure %v, want %v", l.Name, name, m.Pure(), want)
	}
	if l.Initialize && !slices.Contains(exports, abi.ExportInitialize) {
		t.Errorf("%s %s: exports %q, missing %q", l.Name, name, exports, abi.ExportInitialize)
	}
	return m
}
