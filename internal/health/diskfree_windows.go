//go:build windows

package health

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// DiskFree returns the bytes available to the caller on the volume
// holding path.
func DiskFree(path string) (uint64, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return 0, fmt.Errorf("health: %s: %w", path, err)
	}
	var free, total, totalFree uint64
	if err := windows.GetDiskFreeSpaceEx(p, &free, &total, &totalFree); err != nil {
		return 0, fmt.Errorf("health: free space of %s: %w", path, err)
	}
	return free, nil
}
