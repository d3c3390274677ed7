// Package abi holds the guest↔host contract of NexusTask: the names of the
// profiles and imports, the result codes, and profile detection.
//
// It imports nothing outside the standard library and builds with
// GOOS=wasip1, so hosts and guests share one definition. ABI.md beside this
// file is the specification.
package abi

// Version is the ABI version this package describes.
const Version = 1

// Import module names a guest may import from. Imports from any other module
// are refused at upload.
const (
	// ModuleNexus is the import module of the nexus-v1 profile.
	ModuleNexus = "nexus_v1"
	// ModuleWASI is the WASI preview 1 import module.
	ModuleWASI = "wasi_snapshot_preview1"
)

// Exports that select and drive a profile.
const (
	// ExportStart is the entry point of the wasi-command profile.
	ExportStart = "_start"
	// ExportRun is the entry point of the nexus-v1 profile: () -> i32, 0 is success.
	ExportRun = "nexus_run"
	// ExportInitialize is an optional reactor initializer, called once after
	// instantiation and before ExportRun.
	ExportInitialize = "_initialize"
	// ExportMemory is the linear memory a nexus-v1 guest must export.
	ExportMemory = "memory"
	// ExportPure, exported as a function of no parameters and no results
	// that is never called, declares the module pure: its result depends
	// only on its input and configuration, so it may be cached.
	ExportPure = "nexus_pure"
)

// ReservedPrefix starts every export name the host injects into a module.
// Uploads that export a name with this prefix are refused.
const ReservedPrefix = "__nexus"

// Result codes returned by nexus_v1 imports. They are negative so that any
// non-negative result can be a length or a count.
const (
	ErrNotFound int32 = -1 // the key, checkpoint or value does not exist
	ErrLimit    int32 = -2 // a size or rate limit was reached
	ErrDenied   int32 = -3 // the task lacks the capability
	ErrInvalid  int32 = -4 // an argument is malformed
	ErrInternal int32 = -5 // the host failed; the guest may retry
	ErrFailed   int32 = -6 // the awaited child task did not succeed
)

// Names of the nexus_v1 imports. Existing names never change meaning; later
// versions only add names.
const (
	ImportInputLen       = "input_len"
	ImportInputRead      = "input_read"
	ImportOutputWrite    = "output_write"
	ImportErrorSet       = "error_set"
	ImportLog            = "log"
	ImportProgress       = "progress"
	ImportCheckpointSave = "checkpoint_save"
	ImportCheckpointLoad = "checkpoint_load"
	ImportKVGet          = "kv_get"
	ImportKVSet          = "kv_set"
	ImportKVDelete       = "kv_delete"
	ImportConfigGet      = "config_get"
	ImportFuelRemaining  = "fuel_remaining"
	ImportTaskSpawn      = "task_spawn"
	ImportTaskAwait      = "task_await"
	ImportTaskAwaitAny   = "task_await_any"
)

// Log levels accepted by the log import.
const (
	LogDebug int32 = 0
	LogInfo  int32 = 1
	LogWarn  int32 = 2
	LogError int32 = 3
)
