// Command echo is a wasi-command task written in plain Go: it copies its
// input (stdin) to its output (stdout).
//
// Build it with Go's own WebAssembly target:
//
//	GOOS=wasip1 GOARCH=wasm go build -trimpath -o echo.wasm .
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	if _, err := io.Copy(os.Stdout, os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}
