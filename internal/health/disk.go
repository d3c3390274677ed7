package health

import (
	"context"
	"fmt"
)

// DiskCheck is the check that the file system holding dir has at least
// min bytes free: a critical check named "disk".
func DiskCheck(dir string, min uint64) Check {
	return Check{Name: "disk", Critical: true, Run: func(context.Context) error {
		free, err := DiskFree(dir)
		if err != nil {
			return err
		}
		if free < min {
			return fmt.Errorf("%d bytes free on the data directory's file system, below the minimum of %d", free, min)
		}
		return nil
	}}
}
