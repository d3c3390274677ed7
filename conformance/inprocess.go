package conformance

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"sync"

	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/errcode"
	"github.com/nexustask/nexus/internal/store"
)

// InProcess runs cases on a host.Runtime in this process, with a real
// store in a temporary directory for kv.
type InProcess struct {
	rt  *host.Runtime
	db  *store.DB
	dir string

	mu     sync.Mutex
	byName map[string]*host.Module
	byHash map[[32]byte]*host.Module
}

// NewInProcess returns an in-process target. Close removes its store.
func NewInProcess(ctx context.Context) (*InProcess, error) {
	dir, err := os.MkdirTemp("", "nexus-conformance-")
	if err != nil {
		return nil, err
	}
	db, err := store.Open(dir, 0)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cfg := host.DefaultConfig()
	cfg.KV = db
	rt, err := host.New(ctx, cfg)
	if err != nil {
		db.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	return &InProcess{rt: rt, db: db, dir: dir, byName: map[string]*host.Module{}, byHash: map[[32]byte]*host.Module{}}, nil
}

// Name implements Target.
func (p *InProcess) Name() string { return "in-process" }

// Load implements Target. Modules with the same bytes are compiled once.
func (p *InProcess) Load(ctx context.Context, name string, wasm []byte) error {
	sum := sha256.Sum256(wasm)
	p.mu.Lock()
	defer p.mu.Unlock()
	m, ok := p.byHash[sum]
	if !ok {
		var err error
		if m, err = p.rt.Compile(ctx, wasm, nil); err != nil {
			return err
		}
		p.byHash[sum] = m
	}
	p.byName[name] = m
	return nil
}

// Run implements Target.
func (p *InProcess) Run(ctx context.Context, name string, input []byte, c *Case) (Outcome, error) {
	p.mu.Lock()
	m := p.byName[name]
	p.mu.Unlock()
	if m == nil {
		return Outcome{}, errors.New("conformance: module not loaded: " + name)
	}
	res, err := p.rt.Run(ctx, m, host.Request{
		Input:     input,
		Namespace: name,
		Spawner:   NewInlineSpawner(p.rt, p.module),
		Config:    c.Config,
		Limits: host.Limits{
			Fuel:        c.Limits.Fuel,
			MemoryBytes: c.Limits.MemoryBytes,
			Timeout:     c.Limits.timeout(),
		},
	})
	o := Outcome{HasLogs: true, HasProgress: true}
	if res != nil {
		o.Output, o.Logs, o.Progress = res.Output, string(res.Logs), res.Progress
	}
	if err != nil {
		o.Code, o.Message = errcode.Code(err), err.Error()
	}
	return o, nil
}

// module returns the module loaded as name, or nil.
func (p *InProcess) module(name string) *host.Module {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.byName[name]
}

// Close implements Target.
func (p *InProcess) Close() error {
	err := errors.Join(p.rt.Close(context.Background()), p.db.Close())
	return errors.Join(err, os.RemoveAll(p.dir))
}
