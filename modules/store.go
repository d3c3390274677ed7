package modules

// Store keeps module versions and their bytes durably. Implementations are
// safe for concurrent use and make each method atomic.
type Store interface {
	// AddVersion stores wasm under v.Name. If the name already holds
	// v.Digest it returns that version and false; otherwise it assigns the
	// next version number, stores the bytes once per digest, and returns the
	// new version and true. v.Version is ignored.
	AddVersion(v Version, wasm []byte) (Version, bool, error)
	// Versions returns the versions of name, oldest first, or ErrNotFound.
	Versions(name string) ([]Version, error)
	// AllVersions returns every version of every module, by name then version.
	AllVersions() ([]Version, error)
	// Bytes returns the module bytes stored for digest, or ErrNotFound.
	Bytes(digest string) ([]byte, error)
	// Artifact returns the artifact derived from the bytes of digest and
	// stored under key (see host.ArtifactKey), or ErrNotFound.
	Artifact(digest, key string) ([]byte, error)
	// PutArtifact stores a derived artifact of the bytes of digest under
	// key. It is removed with those bytes.
	PutArtifact(digest, key string, artifact []byte) error
	// DeleteModule removes name and its versions, its kv namespace, and the
	// bytes of digests no other module references. It returns the removed versions or ErrNotFound.
	DeleteModule(name string) ([]Version, error)
}
