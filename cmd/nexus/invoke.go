package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/nexustask/nexus/client"
	"github.com/spf13/cobra"
)

func newInvokeCmd() *cobra.Command {
	var (
		server            string
		o                 taskFlags
		verbose, asJSON   bool
		grants, env, argv []string
		mounts            []string
	)
	cmd := &cobra.Command{
		Use:   "invoke NAME",
		Short: "Run a task of module NAME synchronously and print its output",
		Long: `Run a task of module NAME synchronously and print its output.

The input comes from --input FILE (- for stdin) or --data STRING; without
either the task gets empty input. A failed task prints the error code, the
message, the task's logs and the tail of its output to stderr. With --json
the answer is one JSON object on stdout: the output and the run's figures,
or the API's error shape for a failed task.

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
			opts, in, err := o.invokeOptions(cmd.InOrStdin())
			if err != nil {
				return err
			}
			opts.Grants, opts.Env, opts.Args = grants, env, argv
			opts.Mounts = mounts
			res, err := c.Invoke(cmd.Context(), args[0], in, opts)
			if asJSON {
				return printInvokeJSON(cmd.OutOrStdout(), res, err)
			}
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
	o.register(f)
	addJSONFlag(f, &asJSON)
	f.StringArrayVar(&grants, "grant", nil, "grant a capability: clock, random or scratch (repeatable)")
	f.StringArrayVar(&env, "env", nil, "environment variable KEY=VALUE for a wasi-command task (repeatable)")
	f.StringArrayVar(&argv, "arg", nil, "argument for a wasi-command task (repeatable)")
	f.StringArrayVar(&mounts, "mount", nil, mountFlagUsage)
	f.BoolVarP(&verbose, "verbose", "v", false, "print the task id, duration and other response headers to stderr")
	withLogs(cmd)
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return withGuestExit(run(cmd, args))
	}
	return cmd
}

// invokeOptions returns the invocation's options and input from the flags.
func (o *taskFlags) invokeOptions(stdin io.Reader) (*client.InvokeOptions, []byte, error) {
	in, err := o.readInput(stdin)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := o.configMap()
	if err != nil {
		return nil, nil, err
	}
	ttl, err := o.ttl()
	if err != nil {
		return nil, nil, err
	}
	return &client.InvokeOptions{
		Version: o.version, Priority: o.priorityPtr(), Category: o.category,
		Fuel: o.fuel, MemoryBytes: o.memory, Timeout: o.timeout, QueueTimeout: o.queueTimeout,
		CacheTTL: ttl, Tags: o.tags, Config: cfg,
	}, in, nil
}

// invokeJSON is what nexus invoke --json prints for a task that succeeded.
type invokeJSON struct {
	TaskID        string    `json:"task_id"`
	ModuleVersion int       `json:"module_version"`
	FuelUsed      int64     `json:"fuel_used"`
	DurationMs    float64   `json:"duration_ms"`
	Cache         string    `json:"cache,omitempty"`
	CacheKey      string    `json:"cache_key,omitempty"`
	Progress      *[2]int64 `json:"progress,omitempty"`
	Preemptions   int       `json:"preemptions,omitempty"`
	// Output is the output when it is UTF-8 text; OutputBase64 otherwise.
	Output       *string `json:"output,omitempty"`
	OutputBase64 []byte  `json:"output_base64,omitempty"`
}

// printInvokeJSON prints an invocation's result, or the API's error shape
// of its failure, as one JSON object, and returns err (so the exit status
// is the same as without --json) marked as printed.
func printInvokeJSON(w io.Writer, res *client.InvokeResult, err error) error {
	var v any
	if err != nil {
		var ae *client.Error
		if !errors.As(err, &ae) {
			return err
		}
		v = map[string]client.ErrorDetail{"error": ae.Detail()}
	} else {
		j := invokeJSON{TaskID: res.TaskID, ModuleVersion: res.ModuleVersion, FuelUsed: res.FuelUsed,
			DurationMs: float64(res.Duration.Microseconds()) / 1000, Cache: res.Cache, CacheKey: res.CacheKey, Preemptions: res.Preemptions}
		if res.HasProgress {
			j.Progress = &res.Progress
		}
		if utf8.Valid(res.Output) {
			out := string(res.Output)
			j.Output = &out
		} else {
			j.OutputBase64 = res.Output
		}
		v = j
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if e := enc.Encode(v); e != nil {
		return e
	}
	if err != nil {
		return printedError{err}
	}
	return nil
}

// printedError is an error already printed on stdout (nexus invoke
// --json): main prints nothing more but still exits with its status.
type printedError struct{ error }

func (e printedError) Unwrap() error { return e.error }
