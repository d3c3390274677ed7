// Package proto holds the Protocol Buffers wire format of NexusTask's
// cluster messages (envelope.proto) and the generated code, and is the one
// package that imports google.golang.org/protobuf outside telemetry. The
// generated files are committed; `make proto` regenerates them and CI
// checks that a rebuild matches.
package proto

//go:generate sh generate.sh
