package server

import (
	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/host"
)

// PanicOn adds a route GET path to s whose handler panics with v: the
// seam of the tests of panic containment.
func PanicOn(s *Server, path string, v any) {
	s.e.GET(path, func(echo.Context) error { panic(v) })
}

// SetInvokeKV makes s's invokes use kv as their KV store: the seam of
// the tests of host-function faults.
func SetInvokeKV(s *Server, kv host.KV) { s.kvSeam = kv }
