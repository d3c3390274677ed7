package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nexustask/nexus/internal/bundle"
	bolt "go.etcd.io/bbolt"
)

var _ bundle.Index = (*DB)(nil)

// Bundle records. The buckets are made by the first write, so a file
// written before bundles existed reads as holding none.
var (
	// bucketBundles holds name → JSON []bundle.Version, sealed under the
	// name.
	bucketBundles = []byte("bundles")
	// bucketBundleTrees holds tree digest → manifest (bundle.Manifest's
	// Encode), sealed under the digest.
	bucketBundleTrees = []byte("bundle_trees")
	// bucketBundleRefs holds tree digest → the uint64 count of versions
	// holding it.
	bucketBundleRefs = []byte("bundle_refs")
)

// AddBundleVersion implements bundle.Index.
func (db *DB) AddBundleVersion(v bundle.Version, manifest []byte) (bundle.Version, bool, error) {
	created := false
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		bs, trees, refs, err := bundleBuckets(tx)
		if err != nil {
			return err
		}
		vs, err := db.bundleVersions(bs, v.Name)
		if err != nil && !isNotFound(err) {
			return err
		}
		for _, old := range vs {
			if old.Digest == v.Digest {
				v = old
				return nil
			}
		}
		created = true
		v.Version = 1
		if len(vs) > 0 {
			v.Version = vs[len(vs)-1].Version + 1
		}
		enc, err := json.Marshal(append(vs, v))
		if err != nil {
			return err
		}
		if err := putSealed(bs, []byte(v.Name), enc); err != nil {
			return err
		}
		n := refCount(refs.Get([]byte(v.Digest)))
		if n == 0 {
			if err := putSealed(trees, []byte(v.Digest), manifest); err != nil {
				return err
			}
		}
		return refs.Put([]byte(v.Digest), binary.BigEndian.AppendUint64(nil, n+1))
	})
	if err != nil {
		return bundle.Version{}, false, fmt.Errorf("store: add bundle %s: %w", v.Name, err)
	}
	return v, created, nil
}

func bundleBuckets(tx *bolt.Tx) (bs, trees, refs *bolt.Bucket, err error) {
	for _, p := range []struct {
		b    **bolt.Bucket
		name []byte
	}{{&bs, bucketBundles}, {&trees, bucketBundleTrees}, {&refs, bucketBundleRefs}} {
		if *p.b, err = tx.CreateBucketIfNotExists(p.name); err != nil {
			return nil, nil, nil, err
		}
	}
	return bs, trees, refs, nil
}

func refCount(v []byte) uint64 {
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func isNotFound(err error) bool { return errors.Is(err, bundle.ErrNotFound) }

// bundleVersions decodes name's versions from bs (nil: none stored yet).
func (db *DB) bundleVersions(bs *bolt.Bucket, name string) ([]bundle.Version, error) {
	var raw []byte
	if bs != nil {
		raw = bs.Get([]byte(name))
	}
	if raw == nil {
		return nil, fmt.Errorf("%w: %q", bundle.ErrNotFound, name)
	}
	v, err := db.unseal(string(bucketBundles), []byte(name), raw)
	if err != nil {
		return nil, err
	}
	var vs []bundle.Version
	if err := json.Unmarshal(v, &vs); err != nil {
		return nil, corrupt(string(bucketBundles), []byte(name), "%v", err)
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("%w: %q", bundle.ErrNotFound, name)
	}
	return vs, nil
}

// BundleVersions implements bundle.Index.
func (db *DB) BundleVersions(name string) ([]bundle.Version, error) {
	var vs []bundle.Version
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		vs, err = db.bundleVersions(tx.Bucket(bucketBundles), name)
		return err
	})
	return vs, err
}

// Bundles implements bundle.Index.
func (db *DB) Bundles() ([]bundle.Version, error) {
	var all []bundle.Version
	err := db.bolt.View(func(tx *bolt.Tx) error {
		bs := tx.Bucket(bucketBundles)
		if bs == nil {
			return nil
		}
		return bs.ForEach(func(k, _ []byte) error {
			vs, err := db.bundleVersions(bs, string(k))
			if err != nil {
				return err
			}
			all = append(all, vs...)
			return nil
		})
	})
	return all, err
}

// DeleteBundle implements bundle.Index.
func (db *DB) DeleteBundle(name string) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		bs, trees, refs, err := bundleBuckets(tx)
		if err != nil {
			return err
		}
		vs, err := db.bundleVersions(bs, name)
		if err != nil {
			return err
		}
		for _, v := range vs {
			key := []byte(v.Digest)
			if n := refCount(refs.Get(key)); n > 1 {
				if err := refs.Put(key, binary.BigEndian.AppendUint64(nil, n-1)); err != nil {
					return err
				}
				continue
			}
			if err := refs.Delete(key); err != nil {
				return err
			}
			if err := trees.Delete(key); err != nil {
				return err
			}
		}
		return bs.Delete([]byte(name))
	})
}

// BundleManifest implements bundle.Index.
func (db *DB) BundleManifest(digest string) ([]byte, error) {
	var out []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		trees := tx.Bucket(bucketBundleTrees)
		var raw []byte
		if trees != nil {
			raw = trees.Get([]byte(digest))
		}
		if raw == nil {
			return fmt.Errorf("%w: tree %s", bundle.ErrNotFound, digest)
		}
		v, err := db.unseal(string(bucketBundleTrees), []byte(digest), raw)
		out = bytes.Clone(v)
		return err
	})
	return out, err
}

// BundleDigests implements bundle.Index.
func (db *DB) BundleDigests() ([]string, error) {
	var out []string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		refs := tx.Bucket(bucketBundleRefs)
		if refs == nil {
			return nil
		}
		return refs.ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	return out, err
}
