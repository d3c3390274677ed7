//go:build !linux

package host

import "errors"

// memImage is not available on this platform: restored instances copy the
// snapshot's memory instead.
type memImage struct{}

func newMemImage([]byte) (*memImage, error) {
	return nil, errors.New("host: memory images need Linux")
}

func (*memImage) mapRegion(uint64) ([]byte, error) { return nil, errors.ErrUnsupported }

func mapAnon(uint64) ([]byte, error) { return nil, errors.ErrUnsupported }

func unmapRegion([]byte) {}
