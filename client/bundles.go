package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// BundleVersion is one stored version of a data bundle, as POST
// /v1/bundles/{name} answers and GET /v1/bundles/{name} lists.
type BundleVersion struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	// Digest is "sha256:<hex>" of the normalised tree (not of the
	// archive): the same files under the same paths give the same digest.
	Digest    string    `json:"digest"`
	Files     int       `json:"files"`
	Bytes     int64     `json:"bytes"`
	CreatedAt time.Time `json:"created_at"`
}

// BundleEntry is one path of a bundle's tree (BundleVersions.Files).
type BundleEntry struct {
	Path string `json:"path"`
	// Type is "file", "dir" or "symlink".
	Type   string `json:"type"`
	Size   int64  `json:"size,omitempty"`
	Digest string `json:"digest,omitempty"`
	Target string `json:"target,omitempty"`
}

// BundleList is the answer of GET /v1/bundles: the latest version of each
// bundle.
type BundleList struct {
	Bundles []BundleVersion `json:"bundles"`
	// Raw is the server's JSON, as received.
	Raw json.RawMessage `json:"-"`
}

// BundleVersions is the answer of GET /v1/bundles/{name}: every version,
// oldest first, and with files the file list of Version.
type BundleVersions struct {
	Name     string          `json:"name"`
	Versions []BundleVersion `json:"versions"`
	Version  int             `json:"version,omitempty"`
	Files    []BundleEntry   `json:"files,omitempty"`
	// Raw is the server's JSON, as received.
	Raw json.RawMessage `json:"-"`
}

// BundlePushResult is the answer of a bundle upload.
type BundlePushResult struct {
	BundleVersion
	// Created is false when the name already held this tree: the version
	// is the existing one.
	Created bool `json:"-"`
	// Raw is the server's JSON, as received.
	Raw json.RawMessage `json:"-"`
}

// PushBundle uploads a tar archive, read from archive, as the next
// version of bundle name (POST /v1/bundles/{name}); gzipped says it is
// gzip-compressed. Uploading the tree the name already holds answers the
// existing version. A refused entry (an absolute path, "..", a device, a
// link out of the tree) is an *Error with CodeInvalidRequest naming it;
// an archive over the server's limits, CodeTooLarge.
func (c *Client) PushBundle(ctx context.Context, name string, archive io.Reader, gzipped bool) (*BundlePushResult, error) {
	r := request{method: http.MethodPost, path: "/v1/bundles/" + escape(name), contentType: "application/x-tar", stream: archive}
	if gzipped {
		r.contentType = "application/gzip"
	}
	var out BundlePushResult
	resp, err := c.call(ctx, r, &out)
	if err != nil {
		return nil, err
	}
	out.Created, out.Raw = resp.status == http.StatusCreated, resp.body
	return &out, nil
}

// ListBundles lists every bundle's latest version (GET /v1/bundles).
func (c *Client) ListBundles(ctx context.Context) (*BundleList, error) {
	var out BundleList
	resp, err := c.call(ctx, request{method: http.MethodGet, path: "/v1/bundles"}, &out)
	if err != nil {
		return nil, err
	}
	out.Raw = resp.body
	return &out, nil
}

// GetBundle returns every version of bundle name (GET
// /v1/bundles/{name}); with files, also the file list of version (0: the
// latest). An unknown bundle is an *Error with CodeBundleNotFound.
func (c *Client) GetBundle(ctx context.Context, name string, files bool, version int) (*BundleVersions, error) {
	r := request{method: http.MethodGet, path: "/v1/bundles/" + escape(name)}
	if files {
		q := url.Values{"files": {"1"}}
		if version > 0 {
			q.Set("version", strconv.Itoa(version))
		}
		r.query = q.Encode()
	}
	var out BundleVersions
	resp, err := c.call(ctx, r, &out)
	if err != nil {
		return nil, err
	}
	out.Raw = resp.body
	return &out, nil
}

// DeleteBundle deletes bundle name and all its versions (DELETE
// /v1/bundles/{name}). While a task that mounts it is queued or running
// the server answers an *Error with CodeConflict, unless force: then it
// cancels those tasks and deletes.
func (c *Client) DeleteBundle(ctx context.Context, name string, force bool) error {
	r := request{method: http.MethodDelete, path: "/v1/bundles/" + escape(name)}
	if force {
		r.query = "force=1"
	}
	_, err := c.do(ctx, r)
	return err
}

// Mount modes (Mount.Mode).
const (
	// MountReadOnly preopens the bundle read-only (the default).
	MountReadOnly = "ro"
	// MountReadWrite gives the task its own writable copy.
	MountReadWrite = "rw"
)

// Mount is a data bundle mounted into a task (TaskSpec.Mounts,
// Task.Mounts).
type Mount struct {
	// Bundle is the bundle's name; Version a version of it (0: the
	// latest at submission, pinned in the task).
	Bundle  string `json:"bundle"`
	Version int    `json:"version,omitempty"`
	// Path is where the guest sees it, like /data; "/" is allowed.
	Path string `json:"path"`
	// Mode is MountReadOnly (the default) or MountReadWrite.
	Mode string `json:"mode,omitempty"`
	// Digest is the tree the task mounts, set by the server.
	Digest string `json:"digest,omitempty"`
}

// String returns m as ParseMount reads it.
func (m Mount) String() string {
	s := m.Bundle
	if m.Version > 0 {
		s += "@" + strconv.Itoa(m.Version)
	}
	s += ":" + m.Path
	if m.Mode != "" {
		s += ":" + m.Mode
	}
	return s
}

// ParseMount parses NAME[@VERSION]:/guest/path[:ro|:rw], the form of the
// invoke query's mount parameter (InvokeOptions.Mounts) and of the CLI's
// --mount.
func ParseMount(s string) (Mount, error) {
	bad := fmt.Errorf("client: mount %q must be NAME[@VERSION]:/guest/path[:ro|:rw]", s)
	var m Mount
	rest := s
	for _, mode := range []string{MountReadOnly, MountReadWrite} {
		if r, ok := strings.CutSuffix(rest, ":"+mode); ok {
			rest, m.Mode = r, mode
			break
		}
	}
	ref, p, ok := strings.Cut(rest, ":")
	if !ok || ref == "" || !strings.HasPrefix(p, "/") || path.Clean(p) != p {
		return m, bad
	}
	m.Bundle, m.Path = ref, p
	if name, v, ok := strings.Cut(ref, "@"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || name == "" {
			return m, bad
		}
		m.Bundle, m.Version = name, n
	}
	return m, nil
}
