//go:build linux

package snapshot

import (
	"bytes"
	"os"
	"testing"
)

// TestRegionReuseZeroes checks that a zero-filled region released and
// taken again reads as zeros, whether its used part was small (zeroed
// whole), larger with a few pages touched (those zeroed in place), or
// touched over more than maxClearBytes (dropped with MADV_DONTNEED).
func TestRegionReuseZeroes(t *testing.T) {
	page := os.Getpagesize()
	zeroAll := maxZeroAllBytes / page / 2
	for _, touched := range []int{0, 1, 3, zeroAll, zeroAll + 1, zeroAll + 20, maxClearBytes/page + 5} {
		size := uint64(touched+8) * uint64(page) * 2
		region, pool, err := MapAnon(size)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < touched; i++ {
			region[2*i*page+7] = 0xa5 // every other page
		}
		used := uint64(2 * touched * page)
		ReleaseRegion(region, used, pool)
		again, pool2, err := MapAnon(size)
		if err != nil {
			t.Fatal(err)
		}
		if pool2 != pool || &again[0] != &region[0] {
			t.Fatalf("touched %d: region not reused", touched)
		}
		if i := bytes.IndexByte(again, 0xa5); i >= 0 {
			t.Fatalf("touched %d pages: byte %d not zero after reuse", touched, i)
		}
		ReleaseRegion(again, 0, pool)
	}
}

// TestImageRegionReuse checks that an image's region released and taken
// again reads as the image (and zeros after it), whether its task wrote a
// few pages (copied back from the image, found in the page map), only read
// some, or wrote more than maxClearBytes (dropped with MADV_DONTNEED).
func TestImageRegionReuse(t *testing.T) {
	page := os.Getpagesize()
	imagePages := maxClearBytes/page + 16
	memory := make([]byte, imagePages*page)
	for i := range memory {
		memory[i] = byte(i*7 + i/page)
	}
	im, err := NewImage(memory)
	if err != nil {
		t.Fatal(err)
	}
	limit := uint64(2 * len(memory)) // zero-filled pages after the image
	pagemap.once.Do(openPagemap)
	if pagemap.f == nil {
		t.Log("this kernel's page map fails the probe: regions are reset with MADV_DONTNEED only")
	}
	for _, tc := range []struct {
		name         string
		write        []int // pages written
		read         []int // pages only read
		wantCopyBack bool
	}{
		{"untouched", nil, nil, true},
		{"read only", nil, []int{0, 5, imagePages - 1}, true},
		{"a few written, in and after the image", []int{0, 3, imagePages - 1, imagePages, imagePages + 9}, []int{4}, true},
		{"more than maxClearBytes written", seq(0, maxClearBytes/page+2), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			region, pool, err := im.MapRegion(limit)
			if err != nil {
				t.Fatal(err)
			}
			var sink byte
			for _, p := range tc.read {
				sink += region[p*page+1]
			}
			for _, p := range tc.write {
				region[p*page+5] ^= 0xff
			}
			used := uint64(len(region))
			if got := restoreWritten(region[:used], im.data); got != (tc.wantCopyBack && pagemap.f != nil) {
				t.Fatalf("restoreWritten = %v, want %v", got, tc.wantCopyBack)
			}
			ReleaseRegion(region, used, pool)
			again, pool2, err := im.MapRegion(limit)
			if err != nil {
				t.Fatal(err)
			}
			if pool2 != pool || &again[0] != &region[0] {
				t.Fatal("region not reused")
			}
			if !bytes.Equal(again[:len(memory)], memory) {
				t.Fatal("image part differs from the image after reuse")
			}
			if i := bytes.IndexFunc(again[len(memory):], func(r rune) bool { return r != 0 }); i >= 0 {
				t.Fatalf("byte %d after the image not zero after reuse", len(memory)+i)
			}
			ReleaseRegion(again, 0, pool)
			_ = sink
		})
	}
}

func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// TestScanWrittenFreshStacks restores written pages from new goroutines,
// whose small stacks grow during the call: the ranges the kernel reports
// must land where scanWritten reads them (not on a stack since copied),
// and the region must hold the image again.
func TestScanWrittenFreshStacks(t *testing.T) {
	pagemap.once.Do(openPagemap)
	if pagemap.f == nil || !pagemap.scan {
		t.Skip("PAGEMAP_SCAN is not available")
	}
	page := os.Getpagesize()
	image := make([]byte, 8*page)
	for i := range image {
		image[i] = byte(i / page)
	}
	im, err := NewImage(image)
	if err != nil {
		t.Fatal(err)
	}
	region, pool, err := im.MapRegion(uint64(16 * page))
	if err != nil {
		t.Fatal(err)
	}
	defer ReleaseRegion(region, uint64(len(region)), pool)
	for i := 0; i < 200; i++ {
		region[(i%8)*page+1] = 0xff
		region[(8+i%8)*page] = 0xee
		done := make(chan bool)
		go func() { done <- ResetRegion(region, pool) }()
		if !<-done {
			t.Fatalf("round %d: reset failed", i)
		}
		for p := 0; p < 16; p++ {
			want := byte(0)
			if p < 8 {
				want = byte(p)
			}
			if region[p*page+1] != want || region[p*page] != want {
				t.Fatalf("round %d: page %d holds %x, want %x", i, p, region[p*page+1], want)
			}
		}
	}
}
