package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/nexustask/nexus/client"
	"github.com/spf13/cobra"
)

func newTaskCmd() *cobra.Command {
	var server string
	var asJSON bool
	cmd := &cobra.Command{Use: "task", Short: "Submit, inspect, wait for, cancel, retry and list durable tasks"}
	addServerFlag(cmd, &server)
	addJSONFlag(cmd.PersistentFlags(), &asJSON)
	connect := func() (*apiClient, error) { return newClient(server) }
	cmd.AddCommand(newTaskSubmitCmd(connect, &asJSON), newTaskWaitCmd(connect),
		newTaskGetCmd(connect), newTaskActionCmd(connect, &asJSON, "cancel"), newTaskActionCmd(connect, &asJSON, "retry"),
		newTaskListCmd(connect, &asJSON))
	cmd.AddCommand(newTaskTimelineCmd(connect, &asJSON))
	return withLogs(cmd)
}

// taskSubmitOptions are the flags of nexus task submit.
type taskSubmitOptions struct {
	taskFlags
	maxRetries int
	delay      time.Duration
	runAt, key string
	wait       bool
	mounts     []string
}

func newTaskSubmitCmd(newClient func() (*apiClient, error), asJSON *bool) *cobra.Command {
	var o taskSubmitOptions
	cmd := &cobra.Command{
		Use:   "submit MODULE",
		Short: "Submit a task; prints its id once the server has it on disk",
		Args:  argNames("MODULE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient()
			if err != nil {
				return err
			}
			spec, err := o.spec(cmd.InOrStdin(), args[0])
			if err != nil {
				return err
			}
			r, err := c.SubmitTask(cmd.Context(), spec)
			if err != nil {
				return err
			}
			if o.wait {
				return waitTask(cmd.Context(), c, cmd.OutOrStdout(), cmd.ErrOrStderr(), r.ID, 0)
			}
			if *asJSON {
				return printRaw(cmd.OutOrStdout(), r.Raw)
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
	o.register(f)
	f.IntVar(&o.maxRetries, "max-retries", -1, "retries after a failed attempt (default: the server's)")
	f.DurationVar(&o.delay, "delay", 0, "run no sooner than this from now, e.g. 10m")
	f.StringVar(&o.runAt, "run-at", "", "run no sooner than this time (RFC 3339)")
	f.StringVar(&o.key, "key", "", "idempotency key")
	f.BoolVar(&o.wait, "wait", false, "wait for the task and print its output")
	f.StringArrayVar(&o.mounts, "mount", nil, mountFlagUsage)
	return cmd
}

// spec builds the POST /v1/tasks body from the task flags (a schedule's
// template takes the same body).
func (o *taskFlags) spec(stdin io.Reader, module string) (client.TaskSpec, error) {
	s := client.TaskSpec{Module: module, Version: o.version, Priority: o.priorityPtr(), Category: o.category,
		Fuel: o.fuel, MemoryBytes: o.memory, Tags: o.tags}
	in, err := o.readInput(stdin)
	if err != nil {
		return s, err
	}
	if utf8.Valid(in) {
		s.Input = string(in)
	} else {
		s.InputBase64 = in
	}
	if s.Config, err = o.configMap(); err != nil {
		return s, err
	}
	s.TimeoutMs = ceilMs(o.timeout)
	s.QueueTimeoutMs = ceilMs(o.queueTimeout)
	ttl, err := o.ttl()
	if err != nil {
		return s, err
	}
	s.CacheTTLMs = ceilMs(ttl)
	return s, nil
}

// spec builds the POST /v1/tasks body from the flags.
func (o *taskSubmitOptions) spec(stdin io.Reader, module string) (client.TaskSpec, error) {
	s, err := o.taskFlags.spec(stdin, module)
	if err != nil {
		return s, err
	}
	s.IdempotencyKey = o.key
	if s.Mounts, err = parseMounts(o.mounts); err != nil {
		return s, err
	}
	if o.maxRetries >= 0 {
		s.MaxRetries = &o.maxRetries
	}
	s.DelayMs = ceilMs(o.delay)
	if o.runAt != "" {
		t, err := time.Parse(time.RFC3339, o.runAt)
		if err != nil {
			return s, fmt.Errorf("--run-at %q is not an RFC 3339 time: %w", o.runAt, err)
		}
		s.RunAt = &t
	}
	return s, nil
}

// ceilMs is d in whole milliseconds, rounded up so that a positive d is
// never 0 (which the API reads as "not set").
func ceilMs(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return (d + time.Millisecond - 1).Milliseconds()
}

func newTaskWaitCmd(newClient func() (*apiClient, error)) *cobra.Command {
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
			return waitTask(cmd.Context(), c, cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], timeout)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "give up after this long (0: never)")
	return cmd
}

// waitTask waits for the task by following its events (GET
// /v1/events?task=ID as SSE), drawing the progress they report, and
// prints its result once an event says it changed state to a final one.
// A server that serves no events is long-polled instead.
func waitTask(ctx context.Context, c *apiClient, stdout, stderr io.Writer, id string, timeout time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	bar := newProgress(stderr, isTerminal(stderr))
	defer bar.finish()
	// The stream is opened before the result is read, so an event
	// published in between is not missed.
	// The record is the truth and the stream a hint: a check every
	// second ends the stream once the task is done, so a missed event
	// costs at most that second (the wait then reads the result).
	sctx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-sctx.Done():
				return
			case <-tick.C:
				if res, err := c.Result(sctx, id, 0); err == nil && res.Task == nil {
					stopStream()
					return
				}
			}
		}
	}()
	stream, err := c.FollowEvents(sctx, client.EventFilter{Task: id})
	if err != nil {
		if ctx.Err() == nil && client.IsCode(err, client.CodeUnavailable) {
			return pollTask(ctx, c, stdout, bar, id, timeout)
		}
		return waitErr(ctx, err, id, "", timeout)
	}
	defer stream.Close()
	for {
		res, err := c.Result(ctx, id, 0)
		if err != nil {
			return waitErr(ctx, err, id, "", timeout)
		}
		if res.Task == nil {
			bar.finish()
			_, err := stdout.Write(res.Output)
			return err
		}
		r := *res.Task
		bar.draw(&r)
		for {
			e, err := stream.Next()
			if err != nil {
				if ctx.Err() == nil { // the stream broke: poll instead
					return pollTask(ctx, c, stdout, bar, id, timeout)
				}
				return waitErr(ctx, err, id, string(r.State), timeout)
			}
			if e.Type != "task.progress" {
				break // a change of state: read the result again
			}
			done, _ := e.Data["done"].(float64)
			total, _ := e.Data["total"].(float64)
			r.Progress = [2]int64{int64(done), int64(total)}
			bar.draw(&r)
		}
	}
}

// waitErr is the error of a wait that failed: err, or, when the
// timeout passed, that the task is still in state.
func waitErr(ctx context.Context, err error, id, state string, timeout time.Duration) error {
	if timeout > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		if state == "" {
			state = "unfinished"
		}
		return fmt.Errorf("task %s still %s after %v", id, state, timeout)
	}
	return err
}

// pollTask long-polls the task's result in short rounds, drawing the
// progress each unfinished answer carries, until it is done.
func pollTask(ctx context.Context, c *apiClient, stdout io.Writer, bar *progress, id string, timeout time.Duration) error {
	state := ""
	for {
		res, err := c.Result(ctx, id, 500*time.Millisecond)
		if err != nil {
			return waitErr(ctx, err, id, state, timeout)
		}
		if res.Task == nil {
			bar.finish()
			_, err := stdout.Write(res.Output)
			return err
		}
		state = string(res.Task.State)
		bar.draw(res.Task)
	}
}

func newTaskGetCmd(newClient func() (*apiClient, error)) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Print a task's record (JSON)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient()
			if err != nil {
				return err
			}
			r, err := c.GetTask(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printRaw(cmd.OutOrStdout(), r.Raw)
		},
	}
}

// newTaskActionCmd is nexus task cancel and nexus task retry.
func newTaskActionCmd(newClient func() (*apiClient, error), asJSON *bool, action string) *cobra.Command {
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
			do := c.CancelTask
			if action == "retry" {
				do = c.RetryTask
			}
			r, err := do(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if *asJSON {
				return printRaw(cmd.OutOrStdout(), r.Raw)
			}
			state := string(r.State)
			if r.CancelRequested && action != "retry" {
				state = "cancel requested (still running)"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", r.ID, state)
			return nil
		},
	}
}

func newTaskListCmd(newClient func() (*apiClient, error), asJSON *bool) *cobra.Command {
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
			l, err := c.ListTasks(cmd.Context(), client.TaskFilter{State: client.State(state), Module: module, Tag: tag, Cursor: cursor, Limit: limit})
			if err != nil {
				return err
			}
			if *asJSON {
				return printRaw(cmd.OutOrStdout(), l.Raw)
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
