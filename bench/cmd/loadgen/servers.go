package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/client"
	"github.com/nexustask/nexus/internal/node"
	"github.com/nexustask/nexus/server"
)

// Targets, in the order they run by default. The baseline runs first so
// that the others can be reported relative to it.
const (
	targetBaseline = "echo-baseline"
	targetWAT      = "nexus-wat-echo"
	targetGo       = "nexus-go-echo"
	// targetCacheHit invokes a pure echo module with cache_ttl: after the
	// first request, every answer is a result cache hit.
	targetCacheHit = "nexus-cache-hit"
	// targetReactorPlain invokes the Go-compiled nexus-v1 echo
	// (examples/go/echoreactor) on a server without snapshots or instance
	// reset: every task
	// instantiates the module and runs its _initialize (the Go runtime's
	// start-up). It is the reference of the snapshot target.
	targetReactorPlain = "nexus-goreactor-plain"
	// targetReactorSnapshot invokes the same module, fresh isolation, on a
	// server that snapshotted it at upload.
	targetReactorSnapshot = "nexus-goreactor-snapshot"
	// targetReactorWarm invokes the same module uploaded with
	// isolation=warm: instances are reused across tasks.
	targetReactorWarm = "nexus-goreactor-warm"
	// targetWATNoReset and targetReactorNoReset invoke the WAT echo and
	// the Go reactor (snapshotted) on a server with instance reset off
	// (`nexus serve --no-reset`): every task gets a new instance, the
	// reference of instance reset, which the first server uses.
	targetWATNoReset     = "nexus-wat-echo-noreset"
	targetReactorNoReset = "nexus-goreactor-noreset"
	// targetExtism is a plain Echo server calling an equivalent echo plugin
	// through the Extism Go SDK with pooled instances: the reference of the
	// WAT echo.
	targetExtism = "extism-echo"
)

var targetNames = []string{targetBaseline, targetWAT, targetGo, targetCacheHit,
	targetReactorPlain, targetReactorSnapshot, targetReactorWarm, targetExtism,
	targetWATNoReset, targetReactorNoReset}

// knownTarget reports whether name is a target loadgen can drive.
func knownTarget(name string) bool { return slices.Contains(targetNames, name) }

// Module names the examples are uploaded as.
const (
	moduleWAT         = "echo"
	moduleGo          = "goecho"
	modulePure        = "pecho"
	moduleReactor     = "goreactor"
	moduleReactorWarm = "goreactor-warm"
)

// servers are the two servers under load, each on its own 127.0.0.1 port.
type servers struct {
	nexusURL    string
	baselineURL string
	// nexusPlainURL is a second NexusTask server, without snapshots and
	// instance reset; nexusNoResetURL a third, with snapshots but without
	// instance reset.
	nexusPlainURL   string
	nexusNoResetURL string
	extismURL       string
	closers         []func() error
}

// startServers starts NexusTask three times (as deployed; without
// snapshots or instance reset; without instance reset) with the modules
// uploaded, and the references: in this process, or with
// -nexus-bin in processes of their own (procs.go). On error it closes
// whatever it had started.
func startServers(ctx context.Context, cfg config) (_ *servers, err error) {
	s := &servers{}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	startNexus := s.startNexus
	if cfg.nexusBin != "" {
		startNexus = s.startNexusProc
	}
	if s.nexusURL, err = startNexus(ctx, nexusOpts{snapshots: true, reset: true}, cfg); err != nil {
		return nil, err
	}
	for _, m := range []struct{ name, path, isolation string }{{moduleWAT, cfg.watWasm, ""}, {moduleGo, cfg.goWasm, ""},
		{modulePure, cfg.pureWasm, ""}, {moduleReactor, cfg.reactorWasm, ""}, {moduleReactorWarm, cfg.reactorWasm, client.IsolationWarm}} {
		if err := upload(ctx, s.nexusURL, m.name, m.path, m.isolation); err != nil {
			return nil, err
		}
	}
	if s.nexusPlainURL, err = startNexus(ctx, nexusOpts{}, cfg); err != nil {
		return nil, err
	}
	if err := upload(ctx, s.nexusPlainURL, moduleReactor, cfg.reactorWasm, ""); err != nil {
		return nil, err
	}
	if s.nexusNoResetURL, err = startNexus(ctx, nexusOpts{snapshots: true}, cfg); err != nil {
		return nil, err
	}
	for _, m := range []struct{ name, path string }{{moduleWAT, cfg.watWasm}, {moduleReactor, cfg.reactorWasm}} {
		if err := upload(ctx, s.nexusNoResetURL, m.name, m.path, ""); err != nil {
			return nil, err
		}
	}
	if cfg.nexusBin != "" {
		s.baselineURL, s.extismURL, err = s.startRefsProc(cfg)
		return s, err
	}
	return s, s.startRefs(ctx, cfg)
}

// startRefs starts the references in this process: the Extism server and
// the plain Echo baseline.
func (s *servers) startRefs(ctx context.Context, cfg config) error {
	ext, closeExt, err := newExtismServer(ctx, cfg.extismWasm, 2*cfg.conns)
	if err != nil {
		return err
	}
	s.closers = append(s.closers, closeExt)
	if s.extismURL, err = s.serve(ext.handler()); err != nil {
		return err
	}
	s.baselineURL, err = s.serve(newBaseline())
	return err
}

// url returns the URL a target is driven at.
func (s *servers) url(target string) string {
	switch target {
	case targetWAT:
		return s.nexusURL + "/v1/modules/" + moduleWAT + "/invoke"
	case targetGo:
		return s.nexusURL + "/v1/modules/" + moduleGo + "/invoke"
	case targetCacheHit:
		return s.nexusURL + "/v1/modules/" + modulePure + "/invoke?cache_ttl=1h"
	case targetReactorPlain:
		return s.nexusPlainURL + "/v1/modules/" + moduleReactor + "/invoke"
	case targetReactorSnapshot:
		return s.nexusURL + "/v1/modules/" + moduleReactor + "/invoke"
	case targetReactorWarm:
		return s.nexusURL + "/v1/modules/" + moduleReactorWarm + "/invoke"
	case targetWATNoReset:
		return s.nexusNoResetURL + "/v1/modules/" + moduleWAT + "/invoke"
	case targetReactorNoReset:
		return s.nexusNoResetURL + "/v1/modules/" + moduleReactor + "/invoke"
	case targetExtism:
		return s.extismURL + "/echo"
	}
	return s.baselineURL + "/echo"
}

// close stops everything started, last first, and reports the first error.
func (s *servers) close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// nexusOpts are what differs between the NexusTask servers.
type nexusOpts struct {
	snapshots bool // off: --no-snapshots
	reset     bool // off: --no-reset
}

// startNexus starts a NexusTask node in this process as `nexus serve`
// does (internal/node), with its defaults but for a temporary data
// directory, a free 127.0.0.1 port, -ready's ready instances, snapshots
// and instance reset on or off, and the request log of -request-log
// (formatted at level info, then discarded). It returns the node's base
// URL.
func (s *servers) startNexus(ctx context.Context, o nexusOpts, cfg config) (string, error) {
	dir, err := os.MkdirTemp("", "nexus-loadgen-")
	if err != nil {
		return "", err
	}
	s.closers = append(s.closers, func() error { return os.RemoveAll(dir) })
	ncfg := node.DefaultConfig()
	ncfg.Addr, ncfg.DataDir = "127.0.0.1:0", dir
	ncfg.ReadyInstances = cfg.ready
	ncfg.NoSnapshots = !o.snapshots // as `nexus serve` or `nexus serve --no-snapshots`
	ncfg.NoReset = !o.reset         // `nexus serve --no-reset`
	ncfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if ncfg.RequestLog, err = server.ParseRequestLog(cfg.requestLog); err != nil {
		return "", err
	}
	n, err := node.New(ctx, ncfg)
	if err != nil {
		return "", err
	}
	s.closers = append(s.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return n.Close(ctx)
	})
	if err := n.Start(ctx); err != nil {
		return "", err
	}
	return n.URL(), nil
}

// newBaseline returns a plain Echo server whose only route, POST /echo,
// answers with the request body.
func newBaseline() http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/echo", func(c echo.Context) error {
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "application/octet-stream", body)
	})
	return e
}

// serve serves h on a new 127.0.0.1 port until close and returns its base URL.
func (s *servers) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln) // returns http.ErrServerClosed on close
	s.closers = append(s.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return hs.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String(), nil
}

// upload stores the module at path as name through the HTTP API, with
// the isolation given ("" for the default).
func upload(ctx context.Context, baseURL, name, path, isolation string) error {
	wasm, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read module (run from the bench directory or set -wat-wasm/-go-wasm/-pure-wasm): %w", err)
	}
	c, err := client.New(baseURL)
	if err != nil {
		return err
	}
	defer c.CloseIdleConnections()
	if _, err := c.PushModule(ctx, name, wasm, &client.PushOptions{Isolation: isolation}); err != nil {
		return fmt.Errorf("upload %s: %w", name, err)
	}
	return nil
}
