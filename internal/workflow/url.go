package workflow

import (
	"fmt"
	"net/url"
)

// checkURL refuses a callback URL that is not absolute http(s).
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q must be an absolute http or https URL", s)
	}
	return nil
}
