package conformance

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/nexustask/nexus/client"
)

// Server runs cases on a live NexusTask server over its HTTP API. Its
// methods are safe for concurrent use.
type Server struct {
	c *client.Client

	mu     sync.Mutex
	loaded map[string]bool // modules uploaded and not yet deleted
}

// NewServer returns a target for the server c talks to. Loading uploads
// modules to it; Close deletes them.
func NewServer(c *client.Client) *Server {
	return &Server{c: c, loaded: map[string]bool{}}
}

// Name implements Target.
func (s *Server) Name() string { return "a live server" }

// Load implements Target: it uploads wasm as module name, which Close
// deletes.
func (s *Server) Load(ctx context.Context, name string, wasm []byte) error {
	// Recorded before the upload: an upload that failed on the way back
	// may still have stored the module.
	s.mu.Lock()
	s.loaded[name] = true
	s.mu.Unlock()
	if _, err := s.c.PushModule(ctx, name, wasm, nil); err != nil {
		return fmt.Errorf("conformance: upload %s: %w", name, err)
	}
	return nil
}

// Run implements Target.
func (s *Server) Run(ctx context.Context, name string, input []byte, c *Case) (Outcome, error) {
	res, err := s.c.Invoke(ctx, name, input, &client.InvokeOptions{
		Fuel:        c.Limits.Fuel,
		MemoryBytes: c.Limits.MemoryBytes,
		Timeout:     time.Duration(c.Limits.TimeoutMS) * time.Millisecond,
		Config:      c.Config,
	})
	if err == nil {
		return Outcome{Output: res.Output, Progress: res.Progress, HasProgress: res.HasProgress}, nil
	}
	var e *client.Error
	if !errors.As(err, &e) || e.Code == client.CodeHTTP {
		return Outcome{}, fmt.Errorf("conformance: %s: %w", name, err)
	}
	o := Outcome{Code: e.Code, Message: e.Message, Logs: e.Logs, HasLogs: true}
	o.Progress, o.HasProgress = client.ProgressOf(e.Header)
	return o, nil
}

// closeTimeout bounds the deletion of the uploaded modules in Close.
const closeTimeout = 30 * time.Second

// Close implements Target: it deletes every module Load uploaded (all its
// versions), also after failed cases, and returns the deletions that
// failed. A module already gone counts as deleted.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	s.mu.Lock()
	names := slices.Sorted(maps.Keys(s.loaded))
	clear(s.loaded)
	s.mu.Unlock()
	var errs []error
	for _, name := range names {
		err := s.c.DeleteModule(ctx, name)
		var e *client.Error
		if err != nil && !(errors.As(err, &e) && e.Code == client.CodeModuleNotFound) {
			errs = append(errs, fmt.Errorf("conformance: delete %s: %w", name, err))
		}
	}
	s.c.CloseIdleConnections()
	return errors.Join(errs...)
}
