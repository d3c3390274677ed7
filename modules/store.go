package modules

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Store keeps module versions, their bytes and the artifacts prepared from
// them durably. Implementations are safe for concurrent use and make each
// method one atomic transaction; every one passes the contract suite
// internal/store/storetest.RunModules.
type Store interface {
	// PutVersion stores, in one transaction, v under v.Name, the module
	// bytes wasm under v.Digest and the artifact prepared from them under
	// artifactKey (see host.ArtifactKey) together with the artifact's
	// Digest. If the name already holds v.Digest no version is added and
	// created is false; otherwise v gets the next version number (one more
	// than the name's last, 1 for a name with none) and created is true.
	// Either way, stored bytes or artifact of v.Digest that differ from
	// wasm and artifact are replaced, so that storing good bytes again
	// repairs damaged ones. A record of v.Name that cannot be read (see
	// Record.Err) is replaced by a new one. PutVersion returns every
	// version of the name as committed, oldest first; v.Version, v.State
	// and v.CorruptReason are ignored.
	PutVersion(v Version, wasm []byte, artifactKey string, artifact []byte) (vs []Version, created bool, err error)
	// Records returns the record of every name, by name. A record that
	// cannot be decoded, or that fails CheckRecord, is returned with Err
	// set; the error is only for a store that cannot be read at all.
	Records() ([]Record, error)
	// Bytes returns the module bytes stored for digest, or ErrNotFound.
	// They are not verified: the caller checks them against digest.
	Bytes(digest string) ([]byte, error)
	// ArtifactWithDigest returns the artifact derived from the bytes of
	// digest and stored under key, and the Digest stored with it ("" for an
	// artifact stored without one), or ErrNotFound. Neither is verified.
	ArtifactWithDigest(digest, key string) (artifact []byte, sum string, err error)
	// PutArtifact stores a derived artifact of the bytes of digest under
	// key, with its Digest, replacing what key held. It is removed with
	// those bytes, and fails with ErrNotFound if they are not stored.
	PutArtifact(digest, key string, artifact []byte) error
	// DeleteModule removes name and its versions, its kv namespace, and the
	// bytes and artifacts of digests no other module references. It returns
	// the removed versions (none for a record that could not be read) or
	// ErrNotFound.
	DeleteModule(name string) ([]Version, error)
}

// Record is what a Store holds for one name.
type Record struct {
	Name string
	// Versions are the name's versions, oldest first; nil when Err is set.
	Versions []Version
	// Err says why the record could not be read; the name is then corrupt.
	Err error
}

// Digest returns the content address of b: "sha256:" and the hex of its
// SHA-256. Module bytes are stored under their Digest; artifacts are
// stored with theirs.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// CheckRecord reports what is wrong with vs as the stored versions of
// name: none, a version of another name, numbers not increasing from 1 up,
// or a version without a digest. A Store refuses such a record as it
// refuses one it cannot decode.
func CheckRecord(name string, vs []Version) error {
	if len(vs) == 0 {
		return errors.New("the record holds no versions")
	}
	prev := 0
	for _, v := range vs {
		switch {
		case v.Name != name:
			return fmt.Errorf("the record holds a version of %q", v.Name)
		case v.Version <= prev:
			return fmt.Errorf("version %d follows version %d", v.Version, prev)
		case v.Digest == "":
			return fmt.Errorf("version %d has no digest", v.Version)
		}
		prev = v.Version
	}
	return nil
}
