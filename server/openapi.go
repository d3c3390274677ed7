package server

import (
	"embed"
	"io/fs"
	"net/http"
	"path"

	"github.com/labstack/echo/v4"
)

// openAPI is the OpenAPI 3.1 document of the HTTP API, served at
// GET /v1/openapi.json. The server's tests check every request and
// response they make against it, and that every route is in it.
//
//go:embed openapi.json
var openAPI []byte

// apiDocs are the assets of the /docs page, which renders openAPI in the
// browser with no outside assets.
//
//go:embed apidocs
var apiDocs embed.FS

// OpenAPI returns the OpenAPI document of the API. The caller must not
// modify it.
func OpenAPI() []byte { return openAPI }

func (s *Server) openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/json", openAPI)
}

// docsPage is GET /docs and GET /docs/{asset}: the API reference page.
func (s *Server) docsPage(c echo.Context) error {
	name := c.Param("asset")
	if name == "" {
		name = "index.html"
	}
	b, err := fs.ReadFile(apiDocs, path.Join("apidocs", path.Base(name)))
	if err != nil {
		return errNoRoute
	}
	ct := map[string]string{".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
		".css": "text/css; charset=utf-8"}[path.Ext(name)]
	return c.Blob(http.StatusOK, ct, b)
}
