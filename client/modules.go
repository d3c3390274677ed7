package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Module profiles (ModuleVersion.Profile).
const (
	ProfileWASICommand = "wasi-command"
	ProfileNexusV1     = "nexus-v1"
)

// Isolation modes of a module version (PushOptions.Isolation,
// ModuleVersion.Isolation).
const (
	// IsolationFresh gives each task a fresh instance (the default).
	IsolationFresh = "fresh"
	// IsolationWarm reuses instances across tasks of the module.
	IsolationWarm = "warm"
)

// States of a module or a module version (ModuleVersion.State,
// Module.State).
const (
	// ModuleReady: nothing is known to be wrong with what is stored.
	ModuleReady = "ready"
	// ModuleCorrupt: what is stored is damaged.
	ModuleCorrupt = "corrupt"
)

// ModuleVersion is one stored version of a named module, as POST
// /v1/modules/{name} answers and GET /v1/modules/{name} lists.
type ModuleVersion struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	// Digest is "sha256:<hex>" of the uploaded bytes.
	Digest  string `json:"digest"`
	Size    int64  `json:"size"`
	Profile string `json:"profile"`
	// Pure reports a module whose results depend on its input, config and
	// limits only, so that they may be cached.
	Pure      bool      `json:"pure"`
	Exports   []string  `json:"exports"`
	Imports   []Import  `json:"imports"`
	CreatedAt time.Time `json:"created_at"`
	// Isolation is IsolationFresh or IsolationWarm.
	Isolation string `json:"isolation"`
	// Snapshot says how the version's fresh instances start: "snapshot",
	// or why they initialise from scratch; "" before it is compiled.
	Snapshot string `json:"snapshot,omitempty"`
	// State is ModuleReady or ModuleCorrupt (what is stored failed its
	// digest or could not be compiled: invoking it fails until its bytes
	// are uploaded again); CorruptReason says why for a corrupt one.
	State         string `json:"state,omitempty"`
	CorruptReason string `json:"corrupt_reason,omitempty"`
}

// Import is one import of a module.
type Import struct {
	Module string `json:"module"`
	Name   string `json:"name"`
	// Kind is func, table, memory or global.
	Kind string `json:"kind"`
}

// Module summarises a module name in ModuleList.
type Module struct {
	Name     string        `json:"name"`
	Latest   ModuleVersion `json:"latest"`
	Versions int           `json:"versions"`
	// State is ModuleCorrupt if the name's record or any of its versions
	// is corrupt (CorruptReason says what), ModuleReady otherwise.
	State         string `json:"state"`
	CorruptReason string `json:"corrupt_reason,omitempty"`
}

// ModuleList is the answer of GET /v1/modules.
type ModuleList struct {
	Modules []Module `json:"modules"`
	// Raw is the server's JSON, as received.
	Raw json.RawMessage `json:"-"`
}

// ModuleVersions is the answer of GET /v1/modules/{name}: every version,
// oldest first.
type ModuleVersions struct {
	Name     string          `json:"name"`
	Versions []ModuleVersion `json:"versions"`
	// Raw is the server's JSON, as received.
	Raw json.RawMessage `json:"-"`
}

// PushOptions are the options of an upload. The zero value is the
// server's defaults.
type PushOptions struct {
	// Isolation is IsolationFresh (the default) or IsolationWarm.
	Isolation string
}

// PushResult is the answer of an upload.
type PushResult struct {
	ModuleVersion
	// Created is false when the name already held these bytes: the
	// version is the existing one.
	Created bool `json:"-"`
	// Raw is the server's JSON, as received.
	Raw json.RawMessage `json:"-"`
}

// PushModule uploads wasm as the next version of module name (POST
// /v1/modules/{name}); the server validates, instruments and precompiles
// it. Uploading the bytes the name already holds is idempotent. opts may
// be nil. An invalid module is an *Error with CodeInvalidModule, one over
// the server's limit CodeTooLarge.
func (c *Client) PushModule(ctx context.Context, name string, wasm []byte, opts *PushOptions) (*PushResult, error) {
	r := request{method: http.MethodPost, path: "/v1/modules/" + escape(name), contentType: "application/wasm", body: wasm}
	if r.body == nil {
		r.body = []byte{}
	}
	if opts != nil && opts.Isolation != "" {
		r.query = url.Values{"isolation": {opts.Isolation}}.Encode()
	}
	var out PushResult
	resp, err := c.call(ctx, r, &out)
	if err != nil {
		return nil, err
	}
	out.Created, out.Raw = resp.status == http.StatusCreated, resp.body
	return &out, nil
}

// ListModules lists every module with its latest version (GET /v1/modules).
func (c *Client) ListModules(ctx context.Context) (*ModuleList, error) {
	var out ModuleList
	resp, err := c.call(ctx, request{method: http.MethodGet, path: "/v1/modules"}, &out)
	if err != nil {
		return nil, err
	}
	out.Raw = resp.body
	return &out, nil
}

// GetModule returns every version of module name (GET /v1/modules/{name}),
// or an *Error with CodeModuleNotFound.
func (c *Client) GetModule(ctx context.Context, name string) (*ModuleVersions, error) {
	var out ModuleVersions
	resp, err := c.call(ctx, request{method: http.MethodGet, path: "/v1/modules/" + escape(name)}, &out)
	if err != nil {
		return nil, err
	}
	out.Raw = resp.body
	return &out, nil
}

// DeleteModule deletes module name and all its versions (DELETE
// /v1/modules/{name}).
func (c *Client) DeleteModule(ctx context.Context, name string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/v1/modules/" + escape(name)})
	return err
}
