package cache

import (
	"context"
	"testing"
	"time"
)

var benchInput = []byte("nexus-64nexus-64nexus-64nexus-64nexus-64nexus-64nexus-64nexus-64")

// BenchmarkSpecKey hashes the spec of a 64-byte invocation.
func BenchmarkSpecKey(b *testing.B) {
	s := Spec{Module: "pecho", Digest: "sha256:0123456789abcdef", Profile: "nexus-v1", Input: benchInput}
	b.ReportAllocs()
	for b.Loop() {
		s.Key()
	}
}

// BenchmarkDoHit is Do on a stored key, serial and from GOMAXPROCS
// goroutines.
func BenchmarkDoHit(b *testing.B) {
	c := newCache(b, Config{})
	r := Request{Key: keyOf("pecho", "bench"), Module: "pecho", TTL: time.Hour}
	run := func(context.Context) (Result, error) { return Result{Output: benchInput}, nil }
	if _, _, err := c.Do(context.Background(), r, run); err != nil {
		b.Fatal(err)
	}
	check := func(res Result, o Outcome, err error) {
		if err != nil || o != Hit || len(res.Output) != len(benchInput) {
			b.Fatalf("%v %v", o, err)
		}
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			check(c.Do(context.Background(), r, run))
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				check(c.Do(context.Background(), r, run))
			}
		})
	})
}
