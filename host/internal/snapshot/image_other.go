//go:build !linux

package snapshot

import "errors"

// Image is not available on this platform: restored instances copy the
// snapshot's memory instead.
type Image struct{}

// NewImage fails on this platform.
func NewImage([]byte) (*Image, error) {
	return nil, errors.New("snapshot: memory images need Linux")
}

// RegionPool is not used on this platform.
type RegionPool struct{}

// MapRegion is unsupported on this platform.
func (*Image) MapRegion(uint64) ([]byte, *RegionPool, error) {
	return nil, nil, errors.ErrUnsupported
}

// MapAnon is unsupported on this platform.
func MapAnon(uint64) ([]byte, *RegionPool, error) { return nil, nil, errors.ErrUnsupported }

// ReleaseRegion does nothing on this platform.
func ReleaseRegion([]byte, uint64, *RegionPool) {}

// ResetRegion cannot reset a region on this platform.
func ResetRegion([]byte, *RegionPool) bool { return false }
