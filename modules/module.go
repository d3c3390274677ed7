package modules

import (
	"time"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/names"
)

// Version is one stored version of a named module. Values are immutable
// once stored.
type Version struct {
	Name      string        `json:"name"`
	Version   int           `json:"version"`
	Digest    string        `json:"digest"` // "sha256:<hex>"
	Size      int64         `json:"size"`
	Profile   abi.Profile   `json:"profile"`
	Pure      bool          `json:"pure"`
	Exports   []string      `json:"exports"`
	Imports   []host.Import `json:"imports"`
	CreatedAt time.Time     `json:"created_at"`
	// Isolation is how the version's tasks share instances: "fresh" (the
	// default: a fresh instance per task) or "warm" (instances reused
	// across tasks of the module; see host.IsolationWarm). It is set at
	// upload and kept with the version.
	Isolation host.Isolation `json:"isolation"`
	// Snapshot says how the version's fresh instances start: "snapshot"
	// (from its state after _initialize, see host.Runtime.Snapshot) or why
	// they instantiate and initialise from scratch. It is not stored: the
	// registry fills it in from the compiled code, "" before that.
	Snapshot string `json:"snapshot,omitempty"`
	// State is StateReady or StateCorrupt (the stored bytes failed their
	// digest or could not be compiled; see Registry.Corrupt), and
	// CorruptReason says why for a corrupt one. They are not stored: the
	// registry fills them in.
	State         string `json:"state,omitempty"`
	CorruptReason string `json:"corrupt_reason,omitempty"`
}

// States of a Version or a Module.
const (
	// StateReady: nothing is known to be wrong with what is stored.
	StateReady = "ready"
	// StateCorrupt: what is stored is damaged; resolving it fails with
	// ErrCorrupt until the module's bytes are uploaded again.
	StateCorrupt = "corrupt"
)

// Module summarises a name in listings.
type Module struct {
	Name     string  `json:"name"`
	Latest   Version `json:"latest"`
	Versions int     `json:"versions"`
	// State is StateCorrupt if the name's record or any of its versions is
	// corrupt (CorruptReason says what), StateReady otherwise. A name
	// whose record cannot be read has no versions and a Latest holding only
	// its name and state.
	State         string `json:"state"`
	CorruptReason string `json:"corrupt_reason,omitempty"`
}

// ValidName reports whether name can name a module.
func ValidName(name string) bool { return names.Valid(name) }
