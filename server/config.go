package server

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/internal/config"
)

// Reconfigurer is the running configuration of the process that serves:
// GET /v1/config reads it, PATCH /v1/config changes it. Its methods are
// safe for concurrent use.
type Reconfigurer interface {
	// Values returns every key's effective value and its source.
	Values() []config.Value
	// Reconfigure gives the keys of patch the values (as JSON decodes
	// them: a string, number, bool or list) and returns the keys it
	// changed. It changes nothing if a key may not change while the
	// server runs (an error wrapping errkind.ErrInvalidRequest and a
	// *config.RefusedError naming them) or if a value is refused (an
	// error wrapping errkind.ErrInvalidRequest naming the key).
	Reconfigure(patch map[string]any) ([]config.Change, error)
}

// ConfigChange is one key a PATCH /v1/config changed.
type ConfigChange struct {
	Key string `json:"key"`
	Old string `json:"old"`
	New string `json:"new"`
}

// getConfig is GET /v1/config: {"values": [{key, value, list, type,
// source, origin}]}, sorted by key.
func (s *Server) getConfig(c echo.Context) error {
	if s.cfg.Reconfigure == nil {
		return fmt.Errorf("%w: this server has no runtime configuration", errUnavailable)
	}
	return c.JSON(http.StatusOK, map[string]any{"values": s.cfg.Reconfigure.Values()})
}

// patchConfig is PATCH /v1/config: a JSON object of keys and values,
// applied together or not at all; 200 {"changed": [{key, old, new}]}.
func (s *Server) patchConfig(c echo.Context) error {
	if s.cfg.Reconfigure == nil {
		return fmt.Errorf("%w: this server has no runtime configuration", errUnavailable)
	}
	body, err := readBody(c, 1<<20)
	if err != nil {
		return err
	}
	var patch map[string]any
	if err := json.Unmarshal(body, &patch); err != nil || patch == nil {
		return fmt.Errorf("%w: the body must be a JSON object of configuration keys and values", errBadRequest)
	}
	changes, err := s.cfg.Reconfigure.Reconfigure(patch)
	if err != nil {
		return err
	}
	out := make([]ConfigChange, len(changes))
	for i, ch := range changes {
		out[i] = ConfigChange{Key: ch.Key, Old: ch.Old.Value, New: ch.New.Value}
	}
	return c.JSON(http.StatusOK, map[string]any{"changed": out})
}

// SetRequestLog changes which requests get a log line, while the server
// serves.
func (s *Server) SetRequestLog(which RequestLog) { s.requestLog.Store(int32(which)) }
