package server

import "context"

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
