package server

import (
	"context"
	"strings"
)

// HoldCompileSlots takes every compilation slot of s, as uploads in
// progress would, and returns the function that gives them back.
func HoldCompileSlots(s *Server) (release func()) {
	var held []func()
	for range cap(s.compile.slots) {
		r, err := s.compile.acquire(context.Background())
		if err != nil {
			panic(err)
		}
		held = append(held, r)
	}
	return func() {
		for _, r := range held {
			r()
		}
	}
}

// CompileWaiting returns how many uploads wait for a compilation slot.
func CompileWaiting(s *Server) int64 { return s.compile.waiting.Load() }

// Routes returns the method and path of every route s registers, the
// paths in OpenAPI's form (/v1/tasks/{id}; a wildcard is {path}).
func Routes(s *Server) [][2]string {
	var out [][2]string
	for _, r := range s.e.Routes() {
		parts := strings.Split(r.Path, "/")
		for i, p := range parts {
			if strings.HasPrefix(p, ":") {
				parts[i] = "{" + p[1:] + "}"
			} else if p == "*" {
				parts[i] = "{path}"
			}
		}
		out = append(out, [2]string{r.Method, strings.Join(parts, "/")})
	}
	return out
}
