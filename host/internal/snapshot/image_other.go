//go:build !linux

package snapshot

import "errors"

// Image is not available on this platform: restored instances copy the
// snapshot's memory instead.
type Image struct{}

func NewImage([]byte) (*Image, error) {
	return nil, errors.New("snapshot: memory images need Linux")
}

// RegionPool is not used on this platform.
type RegionPool struct{}

func (*Image) MapRegion(uint64) ([]byte, *RegionPool, error) {
	return nil, nil, errors.ErrUnsupported
}

func MapAnon(uint64) ([]byte, *RegionPool, error) { return nil, nil, errors.ErrUnsupported }

func ReleaseRegion([]byte, uint64, *RegionPool) {}

func ResetRegion([]byte, *RegionPool) bool { return false }
