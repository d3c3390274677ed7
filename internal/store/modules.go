package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/nexustask/nexus/modules"
	bolt "go.etcd.io/bbolt"
)

var _ modules.Store = (*DB)(nil)

// Module records: bucketModules holds name → JSON []modules.Version;
// bucketBlobs digest → module bytes; bucketRefs digest → the uint64 count
// of versions using it; bucketArtifacts one sub-bucket per digest holding
// artifact key → artifact and artifact key + artifactSumSuffix → the
// artifact's modules.Digest. Nothing here verifies digests: the registry
// does, on every read.
const artifactSumSuffix = "#digest"

// PutVersion implements modules.Store.
func (db *DB) PutVersion(v modules.Version, wasm []byte, artifactKey string, artifact []byte) ([]modules.Version, bool, error) {
	sum := modules.Digest(artifact) // outside the transaction: it is long
	v.State, v.CorruptReason = "", ""
	var vs []modules.Version
	created := false
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		var err error
		if vs, created, err = addVersion(tx, v, wasm); err != nil {
			return err
		}
		return putArtifact(tx, v.Digest, artifactKey, artifact, sum)
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: add %s: %w", v.Name, err)
	}
	return vs, created, nil
}

// AddVersion stores wasm as a version of v.Name, without an artifact: it
// is PutVersion for callers that have none, and returns the version that
// holds v.Digest.
func (db *DB) AddVersion(v modules.Version, wasm []byte) (modules.Version, bool, error) {
	var vs []modules.Version
	created := false
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		var err error
		vs, created, err = addVersion(tx, v, wasm)
		return err
	})
	if err != nil {
		return modules.Version{}, false, fmt.Errorf("store: add %s: %w", v.Name, err)
	}
	for _, old := range vs {
		if old.Digest == v.Digest {
			v = old
		}
	}
	return v, created, nil
}

// addVersion adds v to its name's record unless the record holds v.Digest,
// replacing a record that cannot be read, and stores wasm under v.Digest
// unless those bytes are stored already. It returns the name's versions.
func addVersion(tx *bolt.Tx, v modules.Version, wasm []byte) ([]modules.Version, bool, error) {
	b := tx.Bucket(bucketModules)
	vs, err := decodeVersions(v.Name, b.Get([]byte(v.Name)))
	if err != nil {
		vs = nil // the refs of its versions are lost with it
	}
	created := true
	for _, old := range vs {
		created = created && old.Digest != v.Digest
	}
	if created {
		v.Version = 1
		if len(vs) > 0 {
			v.Version = vs[len(vs)-1].Version + 1
		}
		vs = append(vs, v)
		enc, err := json.Marshal(vs)
		if err != nil {
			return nil, false, err
		}
		if err := b.Put([]byte(v.Name), enc); err != nil {
			return nil, false, err
		}
		if err := addRef(tx, v.Digest); err != nil {
			return nil, false, err
		}
	}
	blobs := tx.Bucket(bucketBlobs)
	if !bytes.Equal(blobs.Get([]byte(v.Digest)), wasm) {
		if err := blobs.Put([]byte(v.Digest), wasm); err != nil {
			return nil, false, err
		}
	}
	return vs, created, nil
}

// addRef counts one more version using digest.
func addRef(tx *bolt.Tx, digest string) error {
	refs := tx.Bucket(bucketRefs)
	n := uint64(0)
	if v := refs.Get([]byte(digest)); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	return refs.Put([]byte(digest), binary.BigEndian.AppendUint64(nil, n+1))
}

// dropRef counts one fewer version using digest and deletes its bytes and
// artifacts when none is left.
func dropRef(tx *bolt.Tx, digest string) error {
	refs := tx.Bucket(bucketRefs)
	n := uint64(0)
	if v := refs.Get([]byte(digest)); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	if n > 1 {
		return refs.Put([]byte(digest), binary.BigEndian.AppendUint64(nil, n-1))
	}
	if err := refs.Delete([]byte(digest)); err != nil {
		return err
	}
	arts := tx.Bucket(bucketArtifacts)
	if arts.Bucket([]byte(digest)) != nil {
		if err := arts.DeleteBucket([]byte(digest)); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketBlobs).Delete([]byte(digest))
}

// ArtifactWithDigest implements modules.Store.
func (db *DB) ArtifactWithDigest(digest, key string) ([]byte, string, error) {
	var out []byte
	var sum string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketArtifacts).Bucket([]byte(digest)); b != nil {
			if v := b.Get([]byte(key)); v != nil {
				out = append([]byte(nil), v...)
				sum = string(b.Get([]byte(key + artifactSumSuffix)))
				return nil
			}
		}
		return fmt.Errorf("%w: artifact %s", modules.ErrNotFound, key)
	})
	return out, sum, err
}

// Artifact returns the artifact stored under key for digest, unverified,
// or an error wrapping modules.ErrNotFound.
func (db *DB) Artifact(digest, key string) ([]byte, error) {
	art, _, err := db.ArtifactWithDigest(digest, key)
	return art, err
}

// PutArtifact implements modules.Store.
func (db *DB) PutArtifact(digest, key string, artifact []byte) error {
	sum := modules.Digest(artifact)
	return db.bolt.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketBlobs).Get([]byte(digest)) == nil {
			return fmt.Errorf("%w: bytes of %s", modules.ErrNotFound, digest)
		}
		return putArtifact(tx, digest, key, artifact, sum)
	})
}

// putArtifact stores artifact and its digest sum under key for digest,
// unless they are stored already.
func putArtifact(tx *bolt.Tx, digest, key string, artifact []byte, sum string) error {
	b, err := tx.Bucket(bucketArtifacts).CreateBucketIfNotExists([]byte(digest))
	if err != nil {
		return err
	}
	sumKey := []byte(key + artifactSumSuffix)
	if bytes.Equal(b.Get([]byte(key)), artifact) && string(b.Get(sumKey)) == sum {
		return nil
	}
	if err := b.Put([]byte(key), artifact); err != nil {
		return err
	}
	return b.Put(sumKey, []byte(sum))
}

// Versions returns the versions of name, oldest first, or an error
// wrapping modules.ErrNotFound, or one saying why the record cannot be read.
func (db *DB) Versions(name string) ([]modules.Version, error) {
	var vs []modules.Version
	err := db.bolt.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketModules).Get([]byte(name))
		if raw == nil {
			return fmt.Errorf("%w: module %q", modules.ErrNotFound, name)
		}
		var err error
		vs, err = decodeVersions(name, raw)
		return err
	})
	return vs, err
}

// AllVersions returns every version of every module, by name then version.
// It fails on the first record that cannot be read; Records does not.
func (db *DB) AllVersions() ([]modules.Version, error) {
	recs, err := db.Records()
	if err != nil {
		return nil, err
	}
	var all []modules.Version
	for _, rec := range recs {
		if rec.Err != nil {
			return nil, fmt.Errorf("store: module %q: %w", rec.Name, rec.Err)
		}
		all = append(all, rec.Versions...)
	}
	return all, nil
}

// Records implements modules.Store.
func (db *DB) Records() ([]modules.Record, error) {
	var recs []modules.Record
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketModules).ForEach(func(k, raw []byte) error {
			rec := modules.Record{Name: string(k)}
			if raw == nil {
				rec.Err = fmt.Errorf("store: module record %q is a bucket", k)
			} else {
				rec.Versions, rec.Err = decodeVersions(rec.Name, raw)
			}
			recs = append(recs, rec)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: read modules: %w", err)
	}
	return recs, nil
}

// Bytes implements modules.Store.
func (db *DB) Bytes(digest string) ([]byte, error) {
	var out []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketBlobs).Get([]byte(digest))
		if v == nil {
			return fmt.Errorf("%w: bytes of %s", modules.ErrNotFound, digest)
		}
		out = append([]byte(nil), v...)
		return nil
	})
	return out, err
}

// DeleteModule implements modules.Store. A record that cannot be read is
// deleted without its versions: the bytes they used stay counted.
func (db *DB) DeleteModule(name string) ([]modules.Version, error) {
	var vs []modules.Version
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketModules)
		raw := b.Get([]byte(name))
		if raw == nil {
			if b.Bucket([]byte(name)) != nil {
				return b.DeleteBucket([]byte(name))
			}
			return fmt.Errorf("%w: module %q", modules.ErrNotFound, name)
		}
		vs, _ = decodeVersions(name, raw)
		for _, v := range vs {
			if err := dropRef(tx, v.Digest); err != nil {
				return err
			}
		}
		if err := deleteKVNamespace(tx, name); err != nil {
			return err
		}
		return b.Delete([]byte(name))
	})
	return vs, err
}

// decodeVersions decodes the record of name: nil for none, an error for
// one that cannot be decoded or fails modules.CheckRecord.
func decodeVersions(name string, raw []byte) ([]modules.Version, error) {
	if raw == nil {
		return nil, nil
	}
	var vs []modules.Version
	if err := json.Unmarshal(raw, &vs); err != nil {
		return nil, fmt.Errorf("store: undecodable module record: %w", err)
	}
	if err := modules.CheckRecord(name, vs); err != nil {
		return nil, fmt.Errorf("store: invalid module record: %w", err)
	}
	return vs, nil
}
