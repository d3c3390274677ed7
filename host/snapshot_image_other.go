//go:build !linux

package host

import "errors"

// memImage is not available on this platform: restored instances copy the
// snapshot's memory instead.
type memImage struct{}

func newMemImage([]byte) (*memImage, error) {
	return nil, errors.New("host: memory images need Linux")
}

// regionPool is not used on this platform.
type regionPool struct{}

func (*memImage) mapRegion(uint64) ([]byte, *regionPool, error) {
	return nil, nil, errors.ErrUnsupported
}

func mapAnon(uint64) ([]byte, *regionPool, error) { return nil, nil, errors.ErrUnsupported }

func releaseRegion([]byte, uint64, *regionPool) {}
