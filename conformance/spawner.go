package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	"github.com/nexustask/nexus/abi"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/tasks"
)

// NewInlineSpawner returns the host.Spawner of one run of an in-process
// target: each child runs at once, on rt, when it is spawned, as the
// module that module(name) returns (nil: no such module). It has the
// ABI's answers (handles, codes, outputs, ERR_FAILED) without a task
// service; durable children are a server's. It is a host.InlineSpawner.
func NewInlineSpawner(rt *host.Runtime, module func(name string) *host.Module) host.Spawner {
	return &inProcessSpawner{rt: rt, module: module}
}

// inProcessSpawner is NewInlineSpawner's Spawner.
type inProcessSpawner struct {
	rt      *host.Runtime
	module  func(string) *host.Module
	results []childResult
}

// Inline implements host.InlineSpawner.
func (s *inProcessSpawner) Inline() {}

type childResult struct {
	output []byte
	failed bool
}

// Spawn implements host.Spawner.
func (s *inProcessSpawner) Spawn(ctx context.Context, seq int, module string, input, options []byte) int32 {
	if len(options) > 0 {
		var o tasks.SpawnOptions
		dec := json.NewDecoder(bytes.NewReader(options))
		dec.DisallowUnknownFields()
		if dec.Decode(&o) != nil {
			return abi.ErrInvalid
		}
	}
	name, _, _ := strings.Cut(module, "@")
	m := s.module(name)
	if m == nil {
		return abi.ErrNotFound
	}
	res, err := s.rt.Run(ctx, m, host.Request{Input: input, Namespace: name})
	r := childResult{failed: err != nil}
	if res != nil && err == nil {
		r.output = res.Output
	}
	s.results = append(s.results, r)
	return 0
}

// Await implements host.Spawner: every child has finished when spawned.
func (s *inProcessSpawner) Await(_ context.Context, seqs []int, _ func(func(context.Context) error) error) (int, []byte, int32, error) {
	r := s.results[seqs[0]]
	if r.failed {
		return 0, nil, abi.ErrFailed, nil
	}
	return 0, r.output, 0, nil
}
