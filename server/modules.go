package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/names"
	"github.com/nexustask/nexus/modules"
)

// putModule is POST /v1/modules/{name}: the body is raw Wasm. It answers
// 201 with the new version, or 200 with the existing one for bytes the name
// already holds.
func (s *Server) putModule(c echo.Context) error {
	name := c.Param("name")
	if !modules.ValidName(name) {
		return fmt.Errorf("%w: %q must match "+names.Pattern, modules.ErrInvalidName, name)
	}
	wasm, err := readBody(c, s.cfg.MaxModuleBytes)
	if err != nil {
		return err
	}
	if len(wasm) == 0 {
		return fmt.Errorf("%w: empty body; send the module's bytes as application/wasm", modules.ErrInvalid)
	}
	// isolation=warm lets the version's tasks reuse instances (see
	// host.IsolationWarm); fresh, the default, gives each a new one.
	opts := modules.PutOptions{Isolation: host.Isolation(c.QueryParam("isolation"))}
	// The request's context ends when the client disconnects, which
	// cancels the compilation; the compile timeout bounds it otherwise.
	ctx := c.Request().Context()
	release, err := s.compile.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	if s.cfg.CompileTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, s.cfg.CompileTimeout,
			fmt.Errorf("%w: upload took longer than the compile timeout (%s)", host.ErrCompileTimeout, s.cfg.CompileTimeout))
		defer cancel()
	}
	v, created, err := s.reg.PutWith(ctx, name, wasm, opts)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		s.log.Info("module stored", "name", v.Name, "version", v.Version, "digest", v.Digest, "size", v.Size, "profile", v.Profile,
			"isolation", v.Isolation, "snapshot", v.Snapshot)
	}
	return c.JSON(status, v)
}

// listModules is GET /v1/modules.
func (s *Server) listModules(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"modules": s.reg.List()})
}

// getModule is GET /v1/modules/{name}: every version, oldest first.
func (s *Server) getModule(c echo.Context) error {
	vs, err := s.reg.Versions(c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"name": c.Param("name"), "versions": vs})
}

// deleteModule is DELETE /v1/modules/{name}: removes every version.
func (s *Server) deleteModule(c echo.Context) error {
	if err := s.reg.Delete(c.Request().Context(), c.Param("name")); err != nil {
		return err
	}
	s.log.Info("module deleted", "name", c.Param("name"))
	return c.NoContent(http.StatusNoContent)
}

// presizeBody is the largest body readBody allocates whole before reading.
const presizeBody = 64 << 10

// readBody reads the request body, failing with errTooLarge past limit bytes.
func readBody(c echo.Context, limit int64) ([]byte, error) {
	r := c.Request()
	if r.ContentLength > limit {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", errTooLarge, r.ContentLength, limit)
	}
	if r.ContentLength >= 0 && r.ContentLength <= presizeBody {
		// A small body of known length (net/http delivers exactly that
		// many bytes): one buffer of that size, no limiting reader. A
		// larger one grows as it arrives, so that a client announcing a
		// large body and sending it slowly holds no more than it sent.
		body := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			if errors.Is(err, errBodyTimeout) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: reading body: %v", errBadRequest, err)
		}
		return body, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, fmt.Errorf("%w: more than %d bytes", errTooLarge, limit)
	}
	if errors.Is(err, errBodyTimeout) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading body: %v", errBadRequest, err)
	}
	return body, nil
}
