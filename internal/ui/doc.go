// Package ui is NexusTask's web dashboard: plain ES modules, a style
// sheet and one index.html, embedded in the binary and served under
// /ui/ by the server. It needs no build step and no network: every
// asset is in this package, and the page talks only to the HTTP API of
// the server that served it (JSON endpoints and the SSE stream of
// GET /v1/events).
//
// Every page has its own URL under /ui/; Handler answers index.html for
// any path that is not an asset, and the page's router draws the page
// the path names, so links and reloads work.
package ui
