package main

import "testing"

func TestNewResultCache(t *testing.T) {
	if _, err := newResultCache(-1); err == nil {
		t.Error("--cache-bytes -1 accepted")
	}
	if c, err := newResultCache(0); c != nil || err != nil {
		t.Errorf("--cache-bytes 0: %v, %v; want no cache", c, err)
	}
	c, err := newResultCache(1 << 20)
	if err != nil || c.MaxBytes() != 1<<20 {
		t.Fatalf("--cache-bytes 1MiB: %v", err)
	}
	c.Close()
}
