// Package layout holds no code: its test enforces the import rules of
// CONTRIBUTING.md over every package of the module (`go list`), so that a
// change breaking them fails `go test ./...` instead of waiting for a
// reviewer to notice.
package layout
