package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/internal/metrics"
)

// metricsJSON is GET /v1/metrics: the figures of /metrics, gathered at
// the same moment, as a JSON array of families in the shape of prom2json
// (name, help, type, metrics), sorted by name: counters and gauges with a
// value, histograms with count, sum, cumulative buckets and the 0.5, 0.9
// and 0.99 quantiles estimated from them. Query filter=TEXT keeps the
// families whose name contains TEXT.
func (s *Server) metricsJSON(c echo.Context) error {
	fams, err := s.metrics.Snapshot()
	if err != nil {
		return err
	}
	if f := c.QueryParam("filter"); f != "" {
		kept := fams[:0]
		for _, fam := range fams {
			if strings.Contains(fam.Name, f) {
				kept = append(kept, fam)
			}
		}
		fams = kept
	}
	if fams == nil {
		fams = []metrics.Family{}
	}
	return c.JSON(http.StatusOK, fams)
}
