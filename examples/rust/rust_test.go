// Package rust_test runs the committed Rust example tasks through the real
// host, with a real store behind the kv imports. It needs only Go and the
// committed .wasm files; build.sh rebuilds them from source.
package rust_test

import (
	"testing"

	"github.com/nexustask/nexus/examples/internal/exampletest"
)

func TestExamples(t *testing.T) {
	exampletest.Run(t, exampletest.Lang{
		Name:       "rust",
		Dir:        ".",
		Pure:       true,
		Lenient:    true,
		Checkpoint: exampletest.CheckpointNDoneHash,
		Messages: exampletest.Messages{
			BadStep:     "config step: not a decimal number",
			BadStored:   "kv count: not a decimal number",
			NoStore:     "nexus: capability denied (ERR_DENIED)",
			StepsPrefix: "input: ",
			InputPrefix: "input: ",
		},
	})
}
