package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/nexustask/nexus/internal/config"
	"github.com/nexustask/nexus/internal/errkind"
	"github.com/nexustask/nexus/internal/node"
	"github.com/nexustask/nexus/server"
	"github.com/spf13/pflag"
)

// unboundFlags are the serve flags that are no configuration key.
var unboundFlags = []string{"config", "help"}

// running are the parts of a serving process that reloadable keys change;
// nil until the node is built.
type running struct {
	node  *node.Node
	level *slog.LevelVar
}

// reloadable registers every key of nexus serve that may change while it
// serves. A new reloadable key is one more Register here.
func reloadable(run *running) *config.Registry[*serveOptions] {
	reg := config.NewRegistry[*serveOptions]()
	reg.Register("log-level", func(o *serveOptions) (func(), error) {
		var lv slog.Level
		if err := lv.UnmarshalText([]byte(o.logLevel)); err != nil {
			return nil, err
		}
		return func() { run.level.Set(lv) }, nil
	})
	reg.Register("request-log", func(o *serveOptions) (func(), error) {
		which, err := server.ParseRequestLog(o.requestLog)
		return func() { run.node.Server().SetRequestLog(which) }, err
	})
	reg.Register("rate", func(o *serveOptions) (func(), error) {
		rates, err := parseRates(o.rates)
		return func() { _ = run.node.Executor().SetRates(rates) }, err
	})
	reg.Register("weight", func(o *serveOptions) (func(), error) {
		weights, err := parseWeights(o.weights)
		return func() { _ = run.node.Executor().SetWeights(weights) }, err
	})
	reg.Register("cache-bytes", func(o *serveOptions) (func(), error) {
		c, n := run.node.Cache(), o.node.CacheBytes
		switch {
		case c == nil:
			return nil, errors.New("the result cache is off (--cache-bytes 0 at start); turning it on needs a restart")
		case n <= 0:
			return nil, errors.New("turning the result cache off needs a restart")
		}
		return func() { _ = c.SetMaxBytes(n) }, nil
	})
	reg.Register("retention", func(o *serveOptions) (func(), error) {
		d := o.node.Retention
		if d <= 0 {
			return nil, fmt.Errorf("%s must be positive", d)
		}
		return func() { _ = run.node.Tasks().SetRetention(d) }, nil
	})
	return reg
}

// reloader is the running configuration of nexus serve: it loads it at
// start, and again on SIGHUP (re-reading the file) and on PATCH
// /v1/config, applying the changed keys if all may change. It implements
// server.Reconfigurer; its methods are safe for concurrent use.
type reloader struct {
	file    string
	environ []string            // nil: the process's
	cmdline map[string][]string // the flags the command line set
	run     running
	reg     *config.Registry[*serveOptions]

	mu        sync.Mutex
	cur       *config.Config
	overrides map[string]any // PATCH /v1/config's keys since the last SIGHUP
	log       *slog.Logger   // slog.Default() until attach
}

var _ server.Reconfigurer = (*reloader)(nil)

// newReloader loads the configuration into fs (the serve command's parsed
// flags, bound to o): the command line's values stay, the others come
// from the environment, the --config file (or NEXUS_CONFIG) or defaults.
func newReloader(fs *pflag.FlagSet, o *serveOptions, environ []string) (*reloader, error) {
	r := &reloader{file: o.configFile, environ: environ, cmdline: map[string][]string{}, log: slog.Default()}
	if r.file == "" {
		r.file = r.getenv("NEXUS_CONFIG")
	}
	r.reg = reloadable(&r.run)
	fs.Visit(func(f *pflag.Flag) { r.cmdline[f.Name] = flagValues(f) })
	cur, err := config.Load(fs, r.options(nil))
	if err != nil {
		return nil, err
	}
	r.cur = cur
	return r, nil
}

func (r *reloader) getenv(key string) string {
	if r.environ == nil {
		return os.Getenv(key)
	}
	for _, kv := range r.environ {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	return ""
}

func (r *reloader) options(overrides map[string]any) config.Options {
	return config.Options{File: r.file, Environ: r.environ, Unbound: unboundFlags, Overrides: overrides}
}

// flagValues returns what a flag holds, as command-line values.
func flagValues(f *pflag.Flag) []string {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.GetSlice()
	}
	return []string{f.Value.String()}
}

// annotate adds to an error that starts with a flag (--name: …) where a
// value set elsewhere than on the command line came from.
func (r *reloader) annotate(err error) error {
	if err == nil || r == nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return annotate(r.cur, err)
}

// annotate adds to an error that starts with a flag (--name: …) where
// cfg's value of that key came from, if not from the command line.
func annotate(cfg *config.Config, err error) error {
	msg := err.Error()
	if !strings.HasPrefix(msg, "--") {
		return err
	}
	name := strings.TrimPrefix(msg, "--")
	if i := strings.IndexAny(name, ": "); i >= 0 {
		name = name[:i]
	}
	v, ok := cfg.Get(name)
	if !ok || v.Source == config.Default || v.Source == config.Flag {
		return err
	}
	return fmt.Errorf("%w (key %q, set by %s)", err, name, v.Origin)
}

// attach gives the reloader the running node and log level, and re-reads
// the configuration on every SIGHUP until ctx ends.
func (r *reloader) attach(ctx context.Context, n *node.Node, level *slog.LevelVar, log *slog.Logger) {
	r.mu.Lock()
	r.run.node, r.run.level, r.log = n, level, log
	r.mu.Unlock()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				r.reload()
			}
		}
	}()
}

// reload re-reads the file and the environment (SIGHUP), dropping the
// changes made by PATCH /v1/config. A configuration that fails to load or
// changes a key that cannot change leaves the running one as it is.
func (r *reloader) reload() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.applyLocked(nil, "SIGHUP"); err != nil {
		r.log.Error("configuration reload refused; the running configuration is unchanged", "file", r.file, "err", err)
	}
}

// Values returns the running configuration.
func (r *reloader) Values() []config.Value {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur.Values()
}

// Reconfigure is PATCH /v1/config: the patch over the configuration as a
// reload reads it, and the earlier patches.
func (r *reloader) Reconfigure(patch map[string]any) ([]config.Change, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if refused := r.reg.Refused(slices.Collect(maps.Keys(patch))); len(refused) > 0 {
		return nil, fmt.Errorf("%w: %w", errkind.ErrInvalidRequest, &config.RefusedError{Keys: refused})
	}
	overrides := maps.Clone(r.overrides)
	if overrides == nil {
		overrides = map[string]any{}
	}
	maps.Copy(overrides, patch)
	changes, err := r.applyLocked(overrides, "PATCH /v1/config")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errkind.ErrInvalidRequest, err)
	}
	return changes, nil
}

// applyLocked loads the configuration with overrides and applies what
// changed, all or nothing.
func (r *reloader) applyLocked(overrides map[string]any, by string) ([]config.Change, error) {
	o, cfg, err := r.load(overrides)
	if err != nil {
		return nil, err
	}
	changes := config.Diff(r.cur, cfg)
	keys := make([]string, len(changes))
	for i, ch := range changes {
		keys[i] = ch.Key
	}
	if err := r.reg.Apply(keys, o); err != nil {
		return nil, err
	}
	r.cur, r.overrides = cfg, overrides
	published := make([]node.ConfigChange, 0, len(changes))
	for _, ch := range changes {
		r.log.Info("configuration changed", "key", ch.Key, "old", ch.Old.Value, "new", ch.New.Value,
			"source", string(ch.New.Source), "by", by)
		published = append(published, node.ConfigChange{Key: ch.Key, Old: ch.Old.Value, New: ch.New.Value, Source: string(ch.New.Source), By: by})
	}
	if r.run.node != nil {
		if err := r.run.node.PublishConfigChanged(published...); err != nil {
			r.log.Error("events: publishing config.changed", "err", err)
		}
	}
	return changes, nil
}

// load builds the configuration afresh: a new flag set holding the
// command line's values, then the overrides, environment and file, and
// checks it as nexus serve would at start.
func (r *reloader) load(overrides map[string]any) (*serveOptions, *config.Config, error) {
	o := &serveOptions{}
	fs := newServeCmdFor(o).Flags()
	for name, vals := range r.cmdline {
		for _, v := range vals {
			if err := fs.Set(name, v); err != nil {
				return nil, nil, fmt.Errorf("--%s: %w", name, err)
			}
		}
	}
	cfg, err := config.Load(fs, r.options(overrides))
	if err != nil {
		return nil, nil, err
	}
	if err := o.validate(); err != nil {
		return nil, nil, annotate(cfg, err)
	}
	return o, cfg, nil
}

// validate checks o as nexus serve does before it starts anything.
func (o serveOptions) validate() error {
	_, _, w, err := newLogger(o.logFormat, o.logLevel, o.logFlush)
	if err != nil {
		return err
	}
	w.Close()
	c, err := o.nodeConfig(slog.Default())
	if err != nil {
		return err
	}
	return flagError(c.Validate())
}
