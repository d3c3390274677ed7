// Package conformance is NexusTask's ABI conformance suite. Cases are data
// (testdata/cases/*.json); each names a command script (SCRIPT.md), the
// task's configuration and limits, and what must come back: output
// records, an error code, log lines, progress. One conformance guest per
// language performs any script, so every case runs in every language.
//
// Run executes the suite under go test against a Target: InProcess (a
// host.Runtime with a real store) or Server (a live NexusTask over HTTP).
// RunMatrix does the same outside tests, for `nexus conformance`.
package conformance
