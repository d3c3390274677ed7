package server

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/internal/bundle"
	"github.com/nexustask/nexus/internal/errcode"
	"github.com/nexustask/nexus/internal/events"
	"github.com/nexustask/nexus/internal/metrics"
	"github.com/nexustask/nexus/internal/tasks"
)

// bundles returns the bundle store, or 503 if the server has none.
func (s *Server) bundles() (*bundle.Store, error) {
	if s.cfg.Bundles == nil {
		return nil, fmt.Errorf("%w: this server stores no bundles", errcode.ErrUnavailable)
	}
	return s.cfg.Bundles, nil
}

// putBundle is POST /v1/bundles/{name}: the body is a tar archive
// (application/x-tar), gzip-compressed with Content-Encoding: gzip or as
// application/gzip. It answers 201 with the new version, or 200 with the
// existing one when the name holds the same tree already (the digest is
// the normalised tree's, not the archive's).
func (s *Server) putBundle(c echo.Context) error {
	bs, err := s.bundles()
	if err != nil {
		return err
	}
	r := c.Request()
	lim := bs.Limits()
	// The decompressed stream is bounded by the store; a body announced
	// larger than any archive it accepts is refused before it is read.
	if maxBody := lim.MaxBytes + int64(lim.MaxFiles+1)*16<<10; r.ContentLength > maxBody {
		return fmt.Errorf("%w: %d bytes; bundles hold at most %d bytes of files", errTooLarge, r.ContentLength, lim.MaxBytes)
	}
	gz := strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip")
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil {
		gz = gz || mt == "application/gzip" || mt == "application/x-gzip"
	}
	v, created, err := bs.Put(c.Param("name"), r.Body, gz)
	if err != nil {
		if errors.Is(err, errBodyTimeout) {
			return errBodyTimeout
		}
		s.bundleMetrics.Upload("refused", 0)
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		s.bundleMetrics.Upload("created", v.Bytes)
		s.log.Info("bundle stored", "name", v.Name, "version", v.Version, "digest", v.Digest, "files", v.Files, "bytes", v.Bytes)
		s.publish(&events.Event{Type: events.BundleUploaded, Version: v.Version,
			Data: events.Data{Bundle: v.Name, Digest: v.Digest, Size: v.Bytes}})
	} else {
		s.bundleMetrics.Upload("existing", 0)
	}
	return c.JSON(status, v)
}

// listBundles is GET /v1/bundles: the latest version of each bundle.
func (s *Server) listBundles(c echo.Context) error {
	bs, err := s.bundles()
	if err != nil {
		return err
	}
	vs, err := bs.List()
	if err != nil {
		return err
	}
	if vs == nil {
		vs = []bundle.Version{}
	}
	return c.JSON(http.StatusOK, map[string]any{"bundles": vs})
}

// getBundle is GET /v1/bundles/{name}: every version, oldest first; with
// files=1 also the file list of a version (version=N, default the
// latest).
func (s *Server) getBundle(c echo.Context) error {
	bs, err := s.bundles()
	if err != nil {
		return err
	}
	name := c.Param("name")
	vs, err := bs.Versions(name)
	if err != nil {
		return err
	}
	body := map[string]any{"name": name, "versions": vs}
	if f := c.QueryParam("files"); f == "1" || f == "true" {
		version := 0
		if q := c.QueryParam("version"); q != "" {
			if version, err = strconv.Atoi(q); err != nil || version < 1 {
				return fmt.Errorf("%w: version %q must be a positive integer", errBadRequest, q)
			}
		}
		v, m, err := bs.Manifest(name, version)
		if err != nil {
			return err
		}
		body["version"], body["files"] = v.Version, m
	}
	return c.JSON(http.StatusOK, body)
}

// deleteBundle is DELETE /v1/bundles/{name}: removes every version. While
// a task that mounts the bundle is scheduled, queued or running (a durable
// task or an invoke), it answers 409 conflict naming them, unless
// force=1: then the durable tasks that mount it are canceled (a running
// one stops at its next fuel slice), and invokes already running keep
// their mount until they end; the files go once nothing holds them.
func (s *Server) deleteBundle(c echo.Context) error {
	bs, err := s.bundles()
	if err != nil {
		return err
	}
	name := c.Param("name")
	if _, err := bs.Versions(name); err != nil {
		return err
	}
	var ids []string
	if s.cfg.Tasks != nil {
		ids = s.cfg.Tasks.MountedBy(name)
	}
	force := c.QueryParam("force") == "1" || c.QueryParam("force") == "true"
	if inUse := bs.InUse(name); !force && (len(ids) > 0 || inUse > 0) {
		return fmt.Errorf("%w: bundle %q is in use: unfinished tasks %v mount it, running tasks and invokes hold %d mounts of it; wait for them, cancel them, or delete with force=1",
			errcode.ErrConflict, name, ids, inUse)
	}
	for _, id := range ids {
		if _, err := s.cfg.Tasks.Cancel(c.Request().Context(), id); err != nil && !errors.Is(err, tasks.ErrConflict) && !errors.Is(err, tasks.ErrNotFound) {
			return err
		}
	}
	if err := bs.Delete(name); err != nil {
		return err
	}
	s.log.Info("bundle deleted", "name", name, "canceled_tasks", len(ids))
	s.publish(&events.Event{Type: events.BundleDeleted, Data: events.Data{Bundle: name}})
	return c.NoContent(http.StatusNoContent)
}

// wireBundles registers the bundle metrics, if the server stores bundles.
func (s *Server) wireBundles() {
	bs := s.cfg.Bundles
	if bs == nil {
		return
	}
	bm, err := s.metrics.RegisterBundles(func() metrics.BundleStats {
		return metrics.BundleStats{Bundles: bs.Len(), MountsHeld: bs.HeldMounts()}
	})
	if err != nil {
		s.log.Warn("bundle metrics not registered", "err", err)
	}
	s.bundleMetrics = bm
}
