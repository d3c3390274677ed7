package modules

import (
	"regexp"
	"time"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host"
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
}

// Module summarises a name in listings.
type Module struct {
	Name     string  `json:"name"`
	Latest   Version `json:"latest"`
	Versions int     `json:"versions"`
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// ValidName reports whether name can name a module.
func ValidName(name string) bool { return nameRE.MatchString(name) }
