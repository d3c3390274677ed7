//go:build linux

package host

import (
	"bytes"
	"os"
	"testing"
)

// TestRegionReuseZeroes checks that a zero-filled region released and
// taken again reads as zeros, whether the task touched a few pages (zeroed
// in place) or more than maxClearBytes (dropped with MADV_DONTNEED).
func TestRegionReuseZeroes(t *testing.T) {
	page := os.Getpagesize()
	for _, touched := range []int{0, 1, 3, maxClearBytes/page + 5} {
		size := uint64(touched+8) * uint64(page) * 2
		region, pool, err := mapAnon(size)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < touched; i++ {
			region[2*i*page+7] = 0xa5 // every other page
		}
		used := uint64(2 * touched * page)
		releaseRegion(region, used, pool)
		again, pool2, err := mapAnon(size)
		if err != nil {
			t.Fatal(err)
		}
		if pool2 != pool || &again[0] != &region[0] {
			t.Fatalf("touched %d: region not reused", touched)
		}
		if i := bytes.IndexByte(again, 0xa5); i >= 0 {
			t.Fatalf("touched %d pages: byte %d not zero after reuse", touched, i)
		}
		releaseRegion(again, 0, pool)
	}
}
