package errcode_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/nexustask/nexus/cache"
	"github.com/nexustask/nexus/internal/errcode"
)

func TestLookupCache(t *testing.T) {
	for _, err := range []error{
		cache.CheckCacheable("echo", 1, false, false, false),
		fmt.Errorf("%w: ttl 0s", cache.ErrInvalid),
	} {
		if status, code := errcode.Lookup(err); status != http.StatusBadRequest || code != errcode.InvalidRequest {
			t.Errorf("Lookup(%v) = %d %s, want 400 invalid_request", err, status, code)
		}
	}
}
