// Package modules is the module registry of NexusTask: it validates
// uploaded Wasm, addresses it by sha256, numbers versions per name, keeps
// the bytes in a Store and the compiled code in memory, and resolves a
// name (and optional version) to something the host can run.
//
// Uploading bytes that a name already holds returns the existing version;
// each new digest under a name becomes the next version (1, 2, 3…).
package modules
