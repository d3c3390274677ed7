// Package wat_test runs the committed WAT example tasks through the real
// host, with a real store behind the kv imports, and checks that every
// import declaration and helper they copy from the WAT SDK
// (abi/sdk/wat/nexus_v1.wat) is the SDK's text. It needs only Go and the
// committed .wasm files; build.sh rebuilds them from source.
package wat_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexustask/nexus/examples/internal/exampletest"
)

func TestExamples(t *testing.T) {
	exampletest.Run(t, exampletest.Standard("wat"))
}

// TestSDKCopies checks that the WAT modules of this repository copy the
// SDK's import declarations and helpers exactly: every nexus_v1 import
// line is one of the SDK's, and every function or global defined under a
// name the SDK defines has the SDK's text.
func TestSDKCopies(t *testing.T) {
	sdk := readFile(t, "../../abi/sdk/wat/nexus_v1.wat")
	imports := map[string]bool{}
	for _, line := range strings.Split(sdk, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), `(import "nexus_v1"`) {
			imports[strings.TrimSpace(line)] = true
		}
	}
	defs := definitions(sdk)
	if len(imports) != 16 || len(defs) < 5 {
		t.Fatalf("SDK: %d imports, %d definitions", len(imports), len(defs))
	}
	files, _ := filepath.Glob("*/*.wat")
	files = append(files, "../../conformance/guests/wat/guest.wat")
	for _, f := range files {
		src := readFile(t, f)
		copied := 0
		for _, line := range strings.Split(src, "\n") {
			if l := strings.TrimSpace(line); strings.HasPrefix(l, `(import "nexus_v1"`) {
				if !imports[l] {
					t.Errorf("%s: import differs from the SDK's: %s", f, l)
				}
				copied++
			}
		}
		for name, def := range definitions(src) {
			if want, ok := defs[name]; ok {
				if def != want {
					t.Errorf("%s: %s differs from the SDK's", f, name)
				}
				copied++
			}
		}
		if copied == 0 {
			t.Errorf("%s: copies nothing from the SDK", f)
		}
	}
}

// definitions returns the text of every top-level (func $name ...) and
// (global $name ...) of a module, by name.
func definitions(src string) map[string]string {
	defs := map[string]string{}
	for _, kind := range []string{"\n  (func $", "\n  (global $"} {
		for i := 0; ; {
			j := strings.Index(src[i:], kind)
			if j < 0 {
				break
			}
			start := i + j + 3
			end := sexprEnd(src, start)
			name := strings.Fields(src[start+1 : end])[1]
			defs[name] = src[start:end]
			i = end
		}
	}
	return defs
}

// sexprEnd returns the index just past the s-expression opening at
// src[start], skipping ;; comments and strings.
func sexprEnd(src string, start int) int {
	depth := 0
	for i := start; i < len(src); i++ {
		switch src[i] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return i + 1
			}
		case ';':
			if i+1 < len(src) && src[i+1] == ';' {
				for i < len(src) && src[i] != '\n' {
					i++
				}
			}
		case '"':
			for i++; i < len(src) && src[i] != '"'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		}
	}
	return len(src)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
