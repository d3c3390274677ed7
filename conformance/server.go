package conformance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nexustask/nexus/client"
)

// Server runs cases on a live NexusTask server over its HTTP API.
type Server struct {
	c *client.Client
}

// NewServer returns a target for the server c talks to. Loading uploads
// modules to it.
func NewServer(c *client.Client) *Server {
	return &Server{c: c}
}

// Name implements Target.
func (s *Server) Name() string { return "a live server" }

// Load implements Target: it uploads wasm as module name.
func (s *Server) Load(ctx context.Context, name string, wasm []byte) error {
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

// Close implements Target.
func (s *Server) Close() error {
	s.c.CloseIdleConnections()
	return nil
}
