package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/nexustask/nexus/modules"
	bolt "go.etcd.io/bbolt"
)

var _ modules.Store = (*DB)(nil)

// AddVersion implements modules.Store.
func (db *DB) AddVersion(v modules.Version, wasm []byte) (modules.Version, bool, error) {
	created := false
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketModules)
		vs, err := decodeVersions(b.Get([]byte(v.Name)))
		if err != nil {
			return err
		}
		for _, old := range vs {
			if old.Digest == v.Digest {
				v = old
				return nil
			}
		}
		v.Version = len(vs) + 1
		vs = append(vs, v)
		enc, err := json.Marshal(vs)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(v.Name), enc); err != nil {
			return err
		}
		created = true
		return addRef(tx, v.Digest, wasm)
	})
	if err != nil {
		return modules.Version{}, false, fmt.Errorf("store: add %s: %w", v.Name, err)
	}
	return v, created, nil
}

// addRef counts one more version using digest, storing wasm on first use.
func addRef(tx *bolt.Tx, digest string, wasm []byte) error {
	refs := tx.Bucket(bucketRefs)
	n := uint64(0)
	if v := refs.Get([]byte(digest)); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	if n == 0 {
		if err := tx.Bucket(bucketBlobs).Put([]byte(digest), wasm); err != nil {
			return err
		}
	}
	return refs.Put([]byte(digest), binary.BigEndian.AppendUint64(nil, n+1))
}

// dropRef counts one fewer version using digest and deletes its bytes when
// none is left.
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

// Artifact implements modules.Store.
func (db *DB) Artifact(digest, key string) ([]byte, error) {
	var out []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketArtifacts).Bucket([]byte(digest)); b != nil {
			if v := b.Get([]byte(key)); v != nil {
				out = append([]byte(nil), v...)
				return nil
			}
		}
		return fmt.Errorf("%w: artifact %s", modules.ErrNotFound, key)
	})
	return out, err
}

// PutArtifact implements modules.Store.
func (db *DB) PutArtifact(digest, key string, artifact []byte) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketBlobs).Get([]byte(digest)) == nil {
			return fmt.Errorf("%w: bytes of %s", modules.ErrNotFound, digest)
		}
		b, err := tx.Bucket(bucketArtifacts).CreateBucketIfNotExists([]byte(digest))
		if err != nil {
			return err
		}
		return b.Put([]byte(key), artifact)
	})
}

// Versions implements modules.Store.
func (db *DB) Versions(name string) ([]modules.Version, error) {
	var vs []modules.Version
	err := db.bolt.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketModules).Get([]byte(name))
		if raw == nil {
			return fmt.Errorf("%w: module %q", modules.ErrNotFound, name)
		}
		var err error
		vs, err = decodeVersions(raw)
		return err
	})
	return vs, err
}

// AllVersions implements modules.Store.
func (db *DB) AllVersions() ([]modules.Version, error) {
	var all []modules.Version
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketModules).ForEach(func(k, raw []byte) error {
			vs, err := decodeVersions(raw)
			if err != nil {
				return fmt.Errorf("module %q: %w", k, err)
			}
			all = append(all, vs...)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return all, nil
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

// DeleteModule implements modules.Store.
func (db *DB) DeleteModule(name string) ([]modules.Version, error) {
	var vs []modules.Version
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketModules)
		raw := b.Get([]byte(name))
		if raw == nil {
			return fmt.Errorf("%w: module %q", modules.ErrNotFound, name)
		}
		var err error
		if vs, err = decodeVersions(raw); err != nil {
			return err
		}
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

func decodeVersions(raw []byte) ([]modules.Version, error) {
	if raw == nil {
		return nil, nil
	}
	var vs []modules.Version
	if err := json.Unmarshal(raw, &vs); err != nil {
		return nil, fmt.Errorf("store: corrupt module record: %w", err)
	}
	return vs, nil
}
