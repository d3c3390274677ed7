package main

import (
	"fmt"
	"net/url"

	"github.com/nexustask/nexus/client"
	"github.com/spf13/cobra"
)

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
message and the task's logs to stderr.

Exit status:
  0    the task succeeded
  1    a request or server error (unknown module, bad flag, ...)
  2    the task failed: fuel, memory, timeout, trap, task error, canceled
  3    the server could not be reached
  N    a wasi-command guest exited with code N (1-255): proc_exit(N)
       or os.Exit(N); a larger code gives 2`,
		Args: argNames("NAME"),
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
			// Sizes, durations, fuel and configuration go in the server's
			// own notation (64MiB, 5s, 1e9, KEY=VALUE), as given.
			q := url.Values{}
			for k, v := range map[string]string{"memory": memory, "timeout": timeout, "fuel": fuel, "cache_ttl": cacheTTL} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if len(config) > 0 {
				q["config"] = config
			}
			res, err := c.Invoke(cmd.Context(), args[0], in, &client.InvokeOptions{
				Version: version, Tags: tags, Grants: grants, Env: env, Args: argv, Query: q,
			})
			if err != nil {
				return err
			}
			if verbose {
				for _, h := range []string{client.HeaderTaskID, client.HeaderModuleVersion, client.HeaderDurationMs, client.HeaderFuelUsed,
					client.HeaderProgress, client.HeaderCache, client.HeaderCacheKey} {
					if v := res.Header.Get(h); v != "" {
						fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", h, v)
					}
				}
			}
			_, err = cmd.OutOrStdout().Write(res.Output)
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
	withLogs(cmd)
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return withGuestExit(run(cmd, args))
	}
	return cmd
}
