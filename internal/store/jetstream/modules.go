package jetstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nexustask/nexus/modules"
)

var _ modules.Store = (*Store)(nil)

// Modules: mod.<name> holds the JSON []modules.Version of a name and
// ref.<digest> the count of versions using a digest, both in the table so
// that a version and its reference commit in one batch. The bytes are the
// object wasm/<digest> and each artifact the object art/<digest>/<key>,
// its modules.Digest in the object's metadata under artifactSumKey.
const artifactSumKey = "digest"

func (s *Store) modSubj(name string) string   { return s.subj("mod", token(name)) }
func (s *Store) refSubj(digest string) string { return s.subj("ref", token(digest)) }
func wasmObject(digest string) string         { return "wasm/" + digest }
func artifactPrefix(digest string) string     { return "art/" + digest + "/" }
func artifactObject(digest, key string) string {
	return artifactPrefix(digest) + key
}

// PutVersion implements modules.Store. The bytes and the artifact are
// stored first, then the version with its reference in one batch: a
// failure between leaves objects no record names, never a record whose
// bytes are missing.
func (s *Store) PutVersion(v modules.Version, wasm []byte, artifactKey string, artifact []byte) ([]modules.Version, bool, error) {
	v.State, v.CorruptReason = "", ""
	if err := s.putObject(wasmObject(v.Digest), wasm, nil); err != nil {
		return nil, false, fmt.Errorf("jetstream: add %s: %w", v.Name, err)
	}
	if err := s.putArtifact(v.Digest, artifactKey, artifact); err != nil {
		return nil, false, fmt.Errorf("jetstream: add %s: %w", v.Name, err)
	}
	var vs []modules.Version
	created := false
	err := s.update(func(x *txn) error {
		e, err := x.get(s.modSubj(v.Name))
		if err != nil {
			return err
		}
		vs, created = nil, true
		if e.exists {
			if vs, err = decodeVersions(v.Name, e.data); err != nil {
				vs = nil // the refs of its versions are lost with it
			}
		}
		for _, old := range vs {
			created = created && old.Digest != v.Digest
		}
		if !created {
			return nil
		}
		nv := v
		nv.Version = 1
		if len(vs) > 0 {
			nv.Version = vs[len(vs)-1].Version + 1
		}
		vs = append(vs, nv)
		if err := x.putJSON(s.modSubj(v.Name), vs); err != nil {
			return err
		}
		return x.addRef(v.Digest, 1)
	})
	if err != nil {
		return nil, false, fmt.Errorf("jetstream: add %s: %w", v.Name, err)
	}
	return vs, created, nil
}

// addRef adds n to the count of versions using digest and returns it.
func (x *txn) addRef(digest string, n int64) error {
	subj := x.s.refSubj(digest)
	e, err := x.get(subj)
	if err != nil {
		return err
	}
	var count int64
	if e.exists {
		if count, err = strconv.ParseInt(string(e.data), 10, 64); err != nil {
			return fmt.Errorf("jetstream: references of %s: %w", digest, err)
		}
	}
	if count += n; count <= 0 {
		return x.del(subj)
	}
	return x.put(subj, []byte(strconv.FormatInt(count, 10)))
}

// putObject stores data under name unless the same bytes and metadata
// are stored already.
func (s *Store) putObject(name string, data []byte, meta map[string]string) error {
	ctx, cancel := s.ctx()
	defer cancel()
	if old, info, err := s.getObject(name); err == nil && bytes.Equal(old, data) && maps(info, meta) {
		return nil
	}
	_, err := s.objects.Put(ctx, jetstream.ObjectMeta{Name: name, Metadata: meta}, bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("store object %s: %w", name, err)
	}
	return nil
}

// maps reports whether the metadata of info is meta.
func maps(info map[string]string, meta map[string]string) bool {
	if len(info) != len(meta) {
		return false
	}
	for k, v := range meta {
		if info[k] != v {
			return false
		}
	}
	return true
}

// getObject returns the bytes and metadata of name, or an error wrapping
// modules.ErrNotFound.
func (s *Store) getObject(name string) ([]byte, map[string]string, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	res, err := s.objects.Get(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, nil, fmt.Errorf("%w: %s", modules.ErrNotFound, name)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("jetstream: read %s: %w", name, err)
	}
	defer res.Close()
	data, err := io.ReadAll(res)
	if err != nil {
		return nil, nil, fmt.Errorf("jetstream: read %s: %w", name, err)
	}
	info, err := res.Info()
	if err != nil {
		return nil, nil, fmt.Errorf("jetstream: read %s: %w", name, err)
	}
	return data, info.Metadata, nil
}

func (s *Store) putArtifact(digest, key string, artifact []byte) error {
	return s.putObject(artifactObject(digest, key), artifact, map[string]string{artifactSumKey: modules.Digest(artifact)})
}

// Records implements modules.Store.
func (s *Store) Records() ([]modules.Record, error) {
	var recs []modules.Record
	prefix := s.subj("mod") + "."
	err := s.scan(s.subj("mod"), func(subj string, data []byte) error {
		name, err := untoken(strings.TrimPrefix(subj, prefix))
		if err != nil {
			return err
		}
		rec := modules.Record{Name: name}
		rec.Versions, rec.Err = decodeVersions(name, data)
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("jetstream: read modules: %w", err)
	}
	slices.SortFunc(recs, func(a, b modules.Record) int { return strings.Compare(a.Name, b.Name) })
	return recs, nil
}

// Bytes implements modules.Store.
func (s *Store) Bytes(digest string) ([]byte, error) {
	b, _, err := s.getObject(wasmObject(digest))
	return b, err
}

// ArtifactWithDigest implements modules.Store.
func (s *Store) ArtifactWithDigest(digest, key string) ([]byte, string, error) {
	b, meta, err := s.getObject(artifactObject(digest, key))
	if err != nil {
		return nil, "", err
	}
	return b, meta[artifactSumKey], nil
}

// PutArtifact implements modules.Store.
func (s *Store) PutArtifact(digest, key string, artifact []byte) error {
	ctx, cancel := s.ctx()
	defer cancel()
	if _, err := s.objects.GetInfo(ctx, wasmObject(digest)); errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("%w: bytes of %s", modules.ErrNotFound, digest)
	} else if err != nil {
		return fmt.Errorf("jetstream: read %s: %w", digest, err)
	}
	return s.putArtifact(digest, key, artifact)
}

// DeleteModule implements modules.Store: the record, its references and
// its kv namespace go in one batch; the objects of digests no version
// uses any more are deleted after it.
func (s *Store) DeleteModule(name string) ([]modules.Version, error) {
	var vs []modules.Version
	err := s.update(func(x *txn) error {
		e, err := x.get(s.modSubj(name))
		if err != nil {
			return err
		}
		if !e.exists {
			return fmt.Errorf("%w: module %q", modules.ErrNotFound, name)
		}
		vs, _ = decodeVersions(name, e.data)
		for _, v := range vs {
			if err := x.addRef(v.Digest, -1); err != nil {
				return err
			}
		}
		if err := x.deleteKVNamespace(name); err != nil {
			return err
		}
		return x.del(s.modSubj(name))
	})
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if err := s.collect(v.Digest); err != nil {
			return vs, err
		}
	}
	return vs, nil
}

// collect deletes the bytes and artifacts of digest if no version uses it.
func (s *Store) collect(digest string) error {
	if e, err := s.load(s.refSubj(digest)); err != nil || e.exists {
		return err
	}
	ctx, cancel := s.ctx()
	defer cancel()
	objs, err := s.objects.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("jetstream: list objects: %w", err)
	}
	for _, o := range objs {
		if o.Name == wasmObject(digest) || strings.HasPrefix(o.Name, artifactPrefix(digest)) {
			if err := s.objects.Delete(ctx, o.Name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
				return fmt.Errorf("jetstream: delete %s: %w", o.Name, err)
			}
		}
	}
	return nil
}

// decodeVersions decodes the record of name, failing for one that cannot
// be decoded or fails modules.CheckRecord.
func decodeVersions(name string, raw []byte) ([]modules.Version, error) {
	var vs []modules.Version
	if err := json.Unmarshal(raw, &vs); err != nil {
		return nil, fmt.Errorf("jetstream: undecodable module record: %w", err)
	}
	if err := modules.CheckRecord(name, vs); err != nil {
		return nil, fmt.Errorf("jetstream: invalid module record: %w", err)
	}
	return vs, nil
}
