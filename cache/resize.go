package cache

import "fmt"

// SetMaxBytes changes the bound on the bytes the cache holds, while it
// serves: a smaller bound evicts entries as the next writes come in. n
// must be positive (a cache is turned off by not building one).
func (c *Cache) SetMaxBytes(n int64) error {
	if n <= 0 {
		return fmt.Errorf("cache: MaxBytes %d must be positive", n)
	}
	c.setMu.Lock()
	defer c.setMu.Unlock()
	c.rc.UpdateMaxCost(n)
	c.maxBytes.Store(n)
	return nil
}
