package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nexustask/nexus/cache"
	"github.com/spf13/cobra"
)

// taskRecord mirrors the server's task JSON (the fields the CLI shows).
type taskRecord struct {
	ID           string    `json:"id"`
	Module       string    `json:"module"`
	Version      int       `json:"version"`
	State        string    `json:"state"`
	Priority     int       `json:"priority"`
	Attempts     int       `json:"attempts"`
	SubmittedAt  time.Time `json:"submitted_at"`
	RunAt        time.Time `json:"run_at"`
	FuelUsed     int64     `json:"fuel_used"`
	ErrorCode    string    `json:"error_code"`
	ErrorMessage string    `json:"error_message"`
	Progress     [2]int64  `json:"progress"`
	Created      *bool     `json:"created"`
}

func newTaskCmd() *cobra.Command {
	var server string
	var asJSON bool
	cmd := &cobra.Command{Use: "task", Short: "Submit, inspect, wait for, cancel, retry and list durable tasks"}
	addServerFlag(cmd, &server)
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print the server's JSON")
	client := func() (*client, error) { return newClient(server) }
	cmd.AddCommand(newTaskSubmitCmd(client, &asJSON), newTaskWaitCmd(client),
		newTaskGetCmd(client), newTaskActionCmd(client, &asJSON, "cancel"), newTaskActionCmd(client, &asJSON, "retry"),
		newTaskListCmd(client, &asJSON))
	return cmd
}

// taskSubmitOptions are the flags of nexus task submit.
type taskSubmitOptions struct {
	input, inputString   string
	priority, maxRetries int
	fuel, memory         int64
	timeout, delay       time.Duration
	runAt, key, category string
	cacheTTL             string
	tags                 []string
	wait                 bool
}

func newTaskSubmitCmd(newClient func() (*client, error), asJSON *bool) *cobra.Command {
	var o taskSubmitOptions
	cmd := &cobra.Command{
		Use:   "submit MODULE",
		Short: "Submit a task; prints its id once the server has it on disk",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient()
			if err != nil {
				return err
			}
			body, err := o.body(cmd, args[0])
			if err != nil {
				return err
			}
			_, data, err := c.do(http.MethodPost, "/v1/tasks", nil, "application/json", strings.NewReader(string(body)))
			if err != nil {
				return err
			}
			var r taskRecord
			if err := json.Unmarshal(data, &r); err != nil {
				return err
			}
			if o.wait {
				return waitTask(c, cmd.OutOrStdout(), cmd.ErrOrStderr(), r.ID, 0)
			}
			if *asJSON {
				return printRaw(cmd.OutOrStdout(), data)
			}
			note := ""
			if r.Created != nil && !*r.Created {
				note = " (existing task for this idempotency key)"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s%s\n", r.ID, r.State, note)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.input, "input", "", "file holding the input, or - for stdin")
	f.StringVar(&o.inputString, "input-string", "", "the input itself")
	f.IntVar(&o.priority, "priority", -1, "priority 0-9 (default 5)")
	f.IntVar(&o.maxRetries, "max-retries", -1, "retries after a failed attempt (default: the server's)")
	f.Int64Var(&o.fuel, "fuel", 0, "fuel budget of an attempt")
	f.Int64Var(&o.memory, "memory", 0, "memory quota in bytes")
	f.DurationVar(&o.timeout, "timeout", 0, "deadline of an attempt")
	f.DurationVar(&o.delay, "delay", 0, "run no sooner than this from now")
	f.StringVar(&o.runAt, "run-at", "", "run no sooner than this time (RFC 3339)")
	f.StringVar(&o.key, "key", "", "idempotency key")
	f.StringVar(&o.category, "category", "", "fair-share and rate-limit category")
	f.StringArrayVar(&o.tags, "tag", nil, "tag (repeatable)")
	f.StringVar(&o.cacheTTL, "cache-ttl", "", "run a pure module's task through the result cache, keeping its result this long, e.g. 5m (or milliseconds)")
	f.BoolVar(&o.wait, "wait", false, "wait for the task and print its output")
	return cmd
}

// body builds the POST /v1/tasks JSON from the flags.
func (o taskSubmitOptions) body(cmd *cobra.Command, module string) ([]byte, error) {
	m := map[string]any{"module": module}
	switch {
	case o.input != "" && o.inputString != "":
		return nil, fmt.Errorf("give --input or --input-string, not both")
	case o.input != "":
		in, err := readInput(o.input, cmd.InOrStdin())
		if err != nil {
			return nil, err
		}
		m["input_base64"] = in
	case o.inputString != "":
		m["input"] = o.inputString
	}
	if o.priority >= 0 {
		m["priority"] = o.priority
	}
	if o.maxRetries >= 0 {
		m["max_retries"] = o.maxRetries
	}
	set := func(k string, v any, ok bool) {
		if ok {
			m[k] = v
		}
	}
	set("fuel", o.fuel, o.fuel > 0)
	set("memory_bytes", o.memory, o.memory > 0)
	set("timeout_ms", o.timeout.Milliseconds(), o.timeout > 0)
	set("delay_ms", o.delay.Milliseconds(), o.delay > 0)
	set("run_at", o.runAt, o.runAt != "")
	set("idempotency_key", o.key, o.key != "")
	set("category", o.category, o.category != "")
	set("tags", o.tags, len(o.tags) > 0)
	if o.cacheTTL != "" {
		d, err := cache.ParseTTL(o.cacheTTL)
		if err != nil {
			return nil, fmt.Errorf("--cache-ttl: %w", err)
		}
		m["cache_ttl_ms"] = (d + time.Millisecond - 1).Milliseconds() // rounded up: never 0
	}
	return json.Marshal(m)
}

func newTaskWaitCmd(newClient func() (*client, error)) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "wait ID",
		Short: "Wait for a task, showing its progress, and print its output",
		Long: `Wait for a task to finish. While it runs, a progress bar on stderr follows
the progress the task reports; then its output goes to stdout. A failed,
dead or canceled task prints its error and exits with status 2.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient()
			if err != nil {
				return err
			}
			return waitTask(c, cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], timeout)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "give up after this long (0: never)")
	return cmd
}

// waitTask long-polls the task's result in short rounds, drawing the
// progress each unfinished answer carries, until it is done.
func waitTask(c *client, stdout, stderr io.Writer, id string, timeout time.Duration) error {
	start := time.Now()
	bar := progressBar{w: stderr}
	defer bar.finish()
	for {
		q := url.Values{"wait": {"500ms"}}
		resp, data, err := c.do(http.MethodGet, "/v1/tasks/"+url.PathEscape(id)+"/result", q, "", nil)
		if err != nil {
			return err
		}
		if resp.StatusCode == http.StatusOK {
			bar.finish()
			_, err := stdout.Write(data)
			return err
		}
		var r taskRecord
		if err := json.Unmarshal(data, &r); err != nil {
			return err
		}
		bar.draw(r)
		if timeout > 0 && time.Since(start) > timeout {
			return fmt.Errorf("task %s still %s after %v", id, r.State, timeout)
		}
	}
}

// progressBar draws "[#####.....]  50% 5/10 running" on one line.
type progressBar struct {
	w     io.Writer
	drawn bool
}

const barWidth = 30

func (b *progressBar) draw(r taskRecord) {
	done, total := r.Progress[0], r.Progress[1]
	line := fmt.Sprintf("%s %s", r.ID, r.State)
	if total > 0 {
		frac := min(max(float64(done)/float64(total), 0), 1)
		n := int(frac * barWidth)
		line = fmt.Sprintf("[%s%s] %3.0f%% %d/%d %s", strings.Repeat("#", n), strings.Repeat(".", barWidth-n),
			frac*100, done, total, r.State)
	}
	fmt.Fprintf(b.w, "\r\033[K%s", line)
	b.drawn = true
}

func (b *progressBar) finish() {
	if b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
		b.drawn = false
	}
}

func newTaskGetCmd(newClient func() (*client, error)) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Print a task's record (JSON)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient()
			if err != nil {
				return err
			}
			return getRaw(c, cmd.OutOrStdout(), "/v1/tasks/"+url.PathEscape(args[0]))
		},
	}
}

// newTaskActionCmd is nexus task cancel and nexus task retry.
func newTaskActionCmd(newClient func() (*client, error), asJSON *bool, action string) *cobra.Command {
	short := map[string]string{
		"cancel": "Cancel a task (a running attempt is stopped at its next fuel slice)",
		"retry":  "Requeue a failed, dead or canceled task with a fresh retry budget",
	}[action]
	return &cobra.Command{
		Use:   action + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient()
			if err != nil {
				return err
			}
			_, data, err := c.do(http.MethodPost, "/v1/tasks/"+url.PathEscape(args[0])+"/"+action, nil, "", nil)
			if err != nil {
				return err
			}
			if *asJSON {
				return printRaw(cmd.OutOrStdout(), data)
			}
			var r taskRecord
			if err := json.Unmarshal(data, &r); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", r.ID, r.State)
			return nil
		},
	}
}

func newTaskListCmd(newClient func() (*client, error), asJSON *bool) *cobra.Command {
	var state, module, tag, cursor string
	var limit int
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List tasks, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient()
			if err != nil {
				return err
			}
			q := url.Values{}
			for k, v := range map[string]string{"state": state, "module": module, "tag": tag, "cursor": cursor} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if limit > 0 {
				q.Set("limit", fmt.Sprint(limit))
			}
			_, data, err := c.do(http.MethodGet, "/v1/tasks", q, "", nil)
			if err != nil {
				return err
			}
			if *asJSON {
				return printRaw(cmd.OutOrStdout(), data)
			}
			var l struct {
				Tasks      []taskRecord `json:"tasks"`
				NextCursor string       `json:"next_cursor"`
			}
			if err := json.Unmarshal(data, &l); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATE\tMODULE\tATTEMPTS\tSUBMITTED\tERROR")
			for _, r := range l.Tasks {
				fmt.Fprintf(tw, "%s\t%s\t%s@%d\t%d\t%s\t%s\n", r.ID, r.State, r.Module, r.Version, r.Attempts,
					r.SubmittedAt.Local().Format(time.DateTime), r.ErrorCode)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if l.NextCursor != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "more: --cursor %s\n", l.NextCursor)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&state, "state", "", "only tasks in this state")
	f.StringVar(&module, "module", "", "only tasks of this module")
	f.StringVar(&tag, "tag", "", "only tasks with this tag")
	f.StringVar(&cursor, "cursor", "", "the page after this cursor")
	f.IntVar(&limit, "limit", 0, "tasks per page (default 100)")
	return cmd
}
