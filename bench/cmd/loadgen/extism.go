package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"

	extism "github.com/extism/go-sdk"
	"github.com/labstack/echo/v4"
)

// extismServer serves POST /echo by calling the "echo" export of an Extism
// plugin (bench/extism/echo.wasm) through the Extism Go SDK, with a pool of
// plugin instances: the reference for NexusTask's WAT echo. Instances are
// reused across requests, as Extism users pool them; the pool grows to the
// number of concurrent requests and keeps at most poolSize idle.
type extismServer struct {
	compiled *extism.CompiledPlugin
	pool     chan *extism.Plugin
}

// newExtismServer compiles the plugin at path and returns the server and a
// function that closes it.
func newExtismServer(ctx context.Context, path string, poolSize int) (*extismServer, func() error, error) {
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read Extism plugin (run from the bench directory or set -extism-wasm): %w", err)
	}
	manifest := extism.Manifest{Wasm: []extism.Wasm{extism.WasmData{Data: wasm, Name: "echo"}}}
	compiled, err := extism.NewCompiledPlugin(ctx, manifest, extism.PluginConfig{}, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("compile Extism plugin: %w", err)
	}
	s := &extismServer{compiled: compiled, pool: make(chan *extism.Plugin, poolSize)}
	closeAll := func() error {
		for {
			select {
			case p := <-s.pool:
				p.Close(context.Background())
			default:
				return compiled.Close(context.Background())
			}
		}
	}
	return s, closeAll, nil
}

// get returns an idle instance or a new one.
func (s *extismServer) get(ctx context.Context) (*extism.Plugin, error) {
	select {
	case p := <-s.pool:
		return p, nil
	default:
		return s.compiled.Instance(ctx, extism.PluginInstanceConfig{})
	}
}

// put keeps p for the next request, or closes it if the pool is full.
func (s *extismServer) put(p *extism.Plugin) {
	select {
	case s.pool <- p:
	default:
		p.Close(context.Background())
	}
}

// handler returns the plain Echo server of the target.
func (s *extismServer) handler() http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/echo", func(c echo.Context) error {
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		p, err := s.get(ctx)
		if err != nil {
			return err
		}
		rc, out, err := p.CallWithContext(ctx, "echo", body)
		if err != nil || rc != 0 {
			p.Close(ctx) // a failed instance is not reused
			return fmt.Errorf("extism echo: rc %d: %v", rc, err)
		}
		// out lives in the instance's memory: answer before the instance
		// goes back to the pool.
		err = c.Blob(http.StatusOK, "application/octet-stream", out)
		s.put(p)
		return err
	})
	return e
}
