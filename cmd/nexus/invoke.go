package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func newInvokeCmd() *cobra.Command {
	var (
		server, input, data, memory, timeout, fuel string
		cacheTTL                                   string
		tags                                       []string
		version                                    int
		verbose                                    bool
		config, grants, env, argv                  []string
	)
	cmd := &cobra.Command{
		Use:   "invoke NAME",
		Short: "Run a task of module NAME synchronously and print its output",
		Long: `Run a task of module NAME synchronously and print its output.

The input comes from --input FILE (- for stdin) or --data STRING; without
either the task gets empty input. A failed task prints the error code, the
message and the task's logs to stderr and exits with status 2.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient(server)
			if err != nil {
				return err
			}
			var in []byte
			switch {
			case input != "" && data != "":
				return fmt.Errorf("use --input or --data, not both")
			case input != "":
				if in, err = readInput(input, cmd.InOrStdin()); err != nil {
					return err
				}
			default:
				in = []byte(data)
			}
			q := url.Values{}
			if memory != "" {
				q.Set("memory", memory)
			}
			if timeout != "" {
				q.Set("timeout", timeout)
			}
			if fuel != "" {
				q.Set("fuel", fuel)
			}
			for _, kv := range config {
				q.Add("config", kv)
			}
			for _, g := range grants {
				q.Add("grant", g)
			}
			for _, kv := range env {
				q.Add("env", kv)
			}
			for _, a := range argv {
				q.Add("arg", a)
			}
			if cacheTTL != "" {
				q.Set("cache_ttl", cacheTTL)
			}
			for _, t := range tags {
				q.Add("tag", t)
			}
			if version > 0 {
				q.Set("version", strconv.Itoa(version))
			}
			resp, out, err := c.do(http.MethodPost, "/v1/modules/"+url.PathEscape(args[0])+"/invoke", q,
				"application/octet-stream", bytes.NewReader(in))
			if err != nil {
				return err
			}
			if verbose {
				for _, h := range []string{"X-Nexus-Task-Id", "X-Nexus-Module-Version", "X-Nexus-Duration-Ms", "X-Nexus-Fuel-Used", "X-Nexus-Progress", "X-Nexus-Cache", "X-Nexus-Cache-Key"} {
					if v := resp.Header.Get(h); v != "" {
						fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", h, v)
					}
				}
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	addServerFlag(cmd, &server)
	f := cmd.Flags()
	f.StringVarP(&input, "input", "i", "", "read input from FILE, or - for stdin")
	f.StringVarP(&data, "data", "d", "", "use STRING as input")
	f.StringVar(&memory, "memory", "", "memory quota, e.g. 64MiB")
	f.StringVar(&timeout, "timeout", "", "deadline, e.g. 5s")
	f.StringVar(&fuel, "fuel", "", "fuel budget, e.g. 1e9")
	f.IntVar(&version, "version", 0, "module version (default: latest)")
	f.StringVar(&cacheTTL, "cache-ttl", "", "cache a pure module's result for this long, e.g. 5m (or milliseconds)")
	f.StringArrayVar(&tags, "tag", nil, "tag the cached result, for invalidation by tag (repeatable; needs --cache-ttl)")
	f.StringArrayVarP(&config, "config", "c", nil, "task configuration KEY=VALUE (repeatable)")
	f.StringArrayVar(&grants, "grant", nil, "grant a capability: clock, random or scratch (repeatable)")
	f.StringArrayVar(&env, "env", nil, "environment variable KEY=VALUE for a wasi-command task (repeatable)")
	f.StringArrayVar(&argv, "arg", nil, "argument for a wasi-command task (repeatable)")
	f.BoolVarP(&verbose, "verbose", "v", false, "print the task id, duration and other response headers to stderr")
	return cmd
}
