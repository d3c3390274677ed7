// Package assemblyscript_test runs the committed AssemblyScript example
// tasks through the real host, with a real store behind the kv imports. It
// needs only Go and the committed .wasm files; build.sh rebuilds them from
// source.
package assemblyscript_test

import (
	"testing"

	"github.com/nexustask/nexus/examples/internal/exampletest"
)

func TestExamples(t *testing.T) {
	exampletest.Run(t, exampletest.Standard("assemblyscript"))
}
