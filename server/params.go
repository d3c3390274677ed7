package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/host"
	"github.com/nexustask/nexus/internal/executor"
	"github.com/nexustask/nexus/internal/names"
	"github.com/nexustask/nexus/internal/tasks"
)

// invokeParams are the query parameters of POST /v1/modules/{name}/invoke.
type invokeParams struct {
	version  int
	priority int
	category string
	limits   host.Limits
	config   map[string]string
	grants   host.Grants
	cacheTTL time.Duration // 0: the result is not cached (see parseCache)
	// queueTimeout bounds the wait for a worker (0: unbounded).
	queueTimeout time.Duration
	tags         []string // stored with a cached result
	mounts       []tasks.Mount
}

// DefaultPriority is a task's priority when the request names none.
const DefaultPriority = 5

// HeaderConfigPrefix starts request headers that set task configuration:
// "X-Nexus-Config-Greeting: hi" sets key "greeting" (lower-cased).
const HeaderConfigPrefix = "X-Nexus-Config-"

// maxConfigBytes bounds a request's configuration keys and values together.
const maxConfigBytes = 64 << 10

// parseInvokeParams reads version, memory, timeout and fuel from the query.
//
//   - version: a positive integer; absent means the latest.
//   - priority: 0 to 9, higher first; default 5.
//   - category: the fair-share and rate-limit class; default "default".
//   - memory: bytes, optionally with a unit: 64MiB, 512KiB, 1GiB, 64M, 1G.
//   - timeout: a Go duration (250ms, 5s, 1m) or a bare number of
//     milliseconds: the task's deadline, counted from when it starts on a
//     worker. Time spent queued for a worker does not count.
//   - queue_timeout: the same form; how long the task may wait for a
//     worker before it fails with 422 timeout without running (default:
//     as long as it takes).
//   - fuel: the fuel budget, an integer (1000000) or a power of ten (1e9).
//   - grant: repeated, clock, random or scratch; scratch_bytes sizes the
//     scratch directory; env=KEY=VALUE and arg=VALUE, repeated.
//   - config: repeated key=value pairs, the task's configuration; headers
//     X-Nexus-Config-<key> set it too.
//   - cache_ttl and tag: see parseCache.
//   - mount: repeated, NAME[@VERSION]:/guest/path[:ro|:rw], a data bundle
//     the task sees as a directory (tasks.ParseMount).
func parseInvokeParams(c echo.Context) (invokeParams, error) {
	p := invokeParams{priority: DefaultPriority, category: executor.DefaultCategory}
	var params [8]queryParam
	q := parseQuery(params[:0], c.Request().URL.RawQuery)
	if v := q.Get("priority"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < executor.MinPriority || n > executor.MaxPriority {
			return p, fmt.Errorf("%w: priority %q must be an integer from 0 to 9", errBadRequest, v)
		}
		p.priority = n
	}
	if v := q.Get("category"); v != "" {
		if !names.Valid(v) {
			return p, fmt.Errorf("%w: category %q must match "+names.Pattern, errBadRequest, v)
		}
		p.category = v
	}
	if v := q.Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, fmt.Errorf("%w: version %q must be a positive integer", errBadRequest, v)
		}
		p.version = n
	}
	if v := q.Get("memory"); v != "" {
		n, err := parseBytes(v)
		if err != nil || n <= 0 {
			return p, fmt.Errorf("%w: memory %q must be a positive size like 67108864 or 64MiB", errBadRequest, v)
		}
		p.limits.MemoryBytes = n
	}
	if v := q.Get("fuel"); v != "" {
		n, err := parseCount(v)
		if err != nil || n <= 0 {
			return p, fmt.Errorf("%w: fuel %q must be a positive integer like 1000000 or 1e9", errBadRequest, v)
		}
		p.limits.Fuel = n
	}
	if err := parseConfig(c, q, &p); err != nil {
		return p, err
	}
	if err := parseMounts(q, &p); err != nil {
		return p, err
	}
	if err := parseGrants(q, &p.grants); err != nil {
		return p, err
	}
	if err := parseCache(q, &p); err != nil {
		return p, err
	}
	if v := q.Get("timeout"); v != "" {
		d, err := parseDuration(v)
		if err != nil || d <= 0 {
			return p, fmt.Errorf("%w: timeout %q must be a positive duration like 5s or 250ms", errBadRequest, v)
		}
		p.limits.Timeout = d
	}
	if v := q.Get("queue_timeout"); v != "" {
		d, err := parseDuration(v)
		if err != nil || d <= 0 {
			return p, fmt.Errorf("%w: queue_timeout %q must be a positive duration like 5s or 250ms", errBadRequest, v)
		}
		p.queueTimeout = d
	}
	return p, nil
}

// parseConfig collects task configuration from repeated config=key=value
// query parameters and X-Nexus-Config-<key> headers; a query value wins
// over a header for the same key.
func parseConfig(c echo.Context, q query, p *invokeParams) error {
	size := 0
	set := func(k, v string) error {
		if k == "" {
			return fmt.Errorf("%w: config key must not be empty", errBadRequest)
		}
		if size += len(k) + len(v); size > maxConfigBytes {
			return fmt.Errorf("%w: config is larger than %d bytes", errBadRequest, maxConfigBytes)
		}
		if p.config == nil {
			p.config = map[string]string{}
		}
		p.config[k] = v
		return nil
	}
	for name, vs := range c.Request().Header {
		if k, ok := strings.CutPrefix(name, HeaderConfigPrefix); ok && len(vs) > 0 {
			if err := set(strings.ToLower(k), vs[0]); err != nil {
				return err
			}
		}
	}
	for _, kv := range q.All("config") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("%w: config %q must be key=value", errBadRequest, kv)
		}
		if err := set(k, v); err != nil {
			return err
		}
	}
	return nil
}

// parseGrants reads the capabilities a request grants its task.
func parseGrants(q query, g *host.Grants) error {
	for _, name := range q.All("grant") {
		switch name {
		case "clock":
			g.Clock = true
		case "random":
			g.Random = true
		case "scratch":
			g.Scratch = true
		default:
			return fmt.Errorf("%w: unknown grant %q (clock, random or scratch)", errBadRequest, name)
		}
	}
	if v := q.Get("scratch_bytes"); v != "" {
		n, err := parseBytes(v)
		if err != nil || n <= 0 || !g.Scratch && !writableMount(q) {
			return fmt.Errorf("%w: scratch_bytes %q needs grant=scratch or an rw mount, and a positive size", errBadRequest, v)
		}
		g.ScratchBytes = n
	}
	for _, kv := range q.All("env") {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("%w: env %q must be KEY=VALUE", errBadRequest, kv)
		}
		if err := checkCString("env", kv); err != nil {
			return err
		}
		g.Env = append(g.Env, kv)
	}
	for _, a := range q.All("arg") {
		if err := checkCString("arg", a); err != nil {
			return err
		}
	}
	g.Args = q.All("arg")
	return nil
}

// checkCString refuses a WASI argument or environment entry the guest
// cannot receive: WASI passes both as NUL-terminated strings, so a NUL
// inside one would cut it short (wazero refuses the instance, which
// would surface as a trap of the task rather than as bad input).
func checkCString(param, v string) error {
	if strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("%w: %s %q contains a NUL byte, which WASI cannot pass", errBadRequest, param, v)
	}
	return nil
}

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1},
}

// parseBytes parses a byte count with an optional unit suffix.
func parseBytes(s string) (int64, error) {
	mult := int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, err
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("size overflows")
	}
	return n * mult, nil
}

// parseCount parses a non-negative integer written plainly or as 1e9.
func parseCount(s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int64(f)) || f < 0 || f > 1<<62 {
		return 0, fmt.Errorf("not an integer")
	}
	return int64(f), nil
}

// parseDuration accepts a Go duration or a bare count of milliseconds.
func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Duration(n) * time.Millisecond, nil
	}
	return time.ParseDuration(s)
}
