// Package goexamples_test runs the committed .wasm of every Go example in
// this folder through the real host, with a real kv store, and checks its
// output. It needs only Go: the .wasm files are not rebuilt (build.sh does
// that).
package goexamples_test

import (
	"testing"

	"github.com/nexustask/nexus/examples/internal/exampletest"
)

func TestExamples(t *testing.T) {
	exampletest.Run(t, exampletest.Lang{
		Name:       "go",
		Dir:        ".",
		Initialize: true,
		Checkpoint: exampletest.CheckpointDoneHash,
		Messages: exampletest.Messages{
			BadStep:     `counter: config step "x" is not a decimal integer`,
			BadStored:   `counter: stored value "many" is not a decimal integer`,
			NoStore:     "counter: nexus: kv_get: denied",
			StepsPrefix: "longjob: input ",
			InputPrefix: "sha256: ",
		},
	})
}
