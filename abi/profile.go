package abi

import (
	"errors"
	"fmt"
	"strings"
)

// Profile names how a module is driven by the host.
type Profile string

// The profiles of ABI v1.
const (
	// ProfileWASICommand is a WASI command: input on stdin, output on stdout,
	// stderr lines are logs, exit code 0 is success.
	ProfileWASICommand Profile = "wasi-command"
	// ProfileNexusV1 is a reactor exporting nexus_run and memory, using the
	// nexus_v1 imports for input and output.
	ProfileNexusV1 Profile = "nexus-v1"
)

// Errors returned by DetectProfile and CheckImport.
var (
	// ErrNoProfile means the module exports neither _start nor nexus_run.
	ErrNoProfile = errors.New("abi: module exports neither _start (wasi-command) nor nexus_run (nexus-v1)")
	// ErrAmbiguousProfile means the module exports both entry points.
	ErrAmbiguousProfile = errors.New("abi: module exports both _start and nexus_run; export one")
)

// DetectProfile returns the profile of a module given the names of its
// exports. A nexus-v1 module must also export its memory.
func DetectProfile(exports []string) (Profile, error) {
	var start, run, mem bool
	for _, e := range exports {
		switch e {
		case ExportStart:
			start = true
		case ExportRun:
			run = true
		case ExportMemory:
			mem = true
		}
	}
	switch {
	case start && run:
		return "", ErrAmbiguousProfile
	case start:
		return ProfileWASICommand, nil
	case run && !mem:
		return "", errors.New("abi: nexus-v1 module exports nexus_run but no memory named \"memory\"")
	case run:
		return ProfileNexusV1, nil
	}
	return "", ErrNoProfile
}

// CheckImport reports whether a guest may import name from module. WASI
// functions are checked by the runtime that provides them; nexus_v1 names
// must be ones this ABI version defines.
func CheckImport(module, name string) error {
	switch module {
	case ModuleWASI:
		return nil
	case ModuleNexus:
		if _, ok := nexusImports[name]; ok {
			return nil
		}
		return fmt.Errorf("abi: unknown import %s.%s (ABI v%d)", module, name, Version)
	}
	return fmt.Errorf("abi: import %s.%s is outside %s and %s", module, name, ModuleWASI, ModuleNexus)
}

// CheckExport reports whether a module may export name.
func CheckExport(name string) error {
	if strings.HasPrefix(name, ReservedPrefix) {
		return fmt.Errorf("abi: export name %q uses the reserved prefix %q", name, ReservedPrefix)
	}
	return nil
}

var nexusImports = map[string]struct{}{
	ImportInputLen: {}, ImportInputRead: {}, ImportOutputWrite: {}, ImportErrorSet: {},
	ImportLog: {}, ImportProgress: {}, ImportCheckpointSave: {}, ImportCheckpointLoad: {},
	ImportKVGet: {}, ImportKVSet: {}, ImportKVDelete: {}, ImportConfigGet: {},
	ImportFuelRemaining: {},
	ImportTaskSpawn:     {},
	ImportTaskAwait:     {},
	ImportTaskAwaitAny:  {},
}

// DeclaresPure reports whether exports include ExportPure.
func DeclaresPure(exports []string) bool {
	for _, e := range exports {
		if e == ExportPure {
			return true
		}
	}
	return false
}
