package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/nexustask/nexus/internal/config"
	"github.com/spf13/cobra"
)

// readSpecFile reads a workflow, batch or chain body from path (YAML or
// JSON; "-" is stdin) as JSON.
func readSpecFile(path string) (json.RawMessage, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return b, nil
	}
	j, err := config.YAMLToJSON(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return j, nil
}

func newWorkflowCmd() *cobra.Command {
	var server string
	var asJSON bool
	cmd := &cobra.Command{Use: "workflow", Short: "Submit, show, list, wait for, cancel, retry and graph workflows"}
	addServerFlag(cmd, &server)
	addJSONFlag(cmd.PersistentFlags(), &asJSON)
	connect := func() (*apiClient, error) { return newClient(server) }
	show := func(cmd *cobra.Command, w *client.Workflow) error {
		if asJSON {
			return printJSON(cmd.OutOrStdout(), w)
		}
		return printWorkflow(cmd.OutOrStdout(), w)
	}
	var wait bool
	submit := &cobra.Command{
		Use:   "submit FILE.yaml|FILE.json",
		Short: "Submit a workflow (the body of POST /v1/workflows, in YAML or JSON)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return submitShape(cmd, connect, args[0], (*client.Client).SubmitWorkflow, wait, show, asJSON)
		},
	}
	submit.Flags().BoolVar(&wait, "wait", false, "wait for it, printing a line per step as it finishes, then its result")
	cmd.AddCommand(submit)
	cmd.AddCommand(&cobra.Command{
		Use:   "get ID",
		Short: "Show a workflow: its state, counts and each step's state and task",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect()
			if err != nil {
				return err
			}
			w, err := c.GetWorkflow(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return show(cmd, w)
		},
	})
	var f client.WorkflowFilter
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List workflows, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := connect()
			if err != nil {
				return err
			}
			ws, err := c.ListWorkflows(cmd.Context(), f)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), map[string]any{"workflows": ws})
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tNAME\tSTATE\tSTEPS\tCREATED")
			for _, w := range ws {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", w.ID, w.Kind, orDash(w.Name), w.State, w.StepCount, w.CreatedAt.Local().Format(time.DateTime))
			}
			return tw.Flush()
		},
	}
	ls.Flags().StringVar(&f.State, "state", "", "only workflows in this state")
	ls.Flags().StringVar(&f.Name, "name", "", "only workflows of this name")
	ls.Flags().StringVar(&f.Tag, "tag", "", "only workflows with this tag")
	ls.Flags().IntVar(&f.Limit, "limit", 0, "at most this many")
	cmd.AddCommand(ls)
	var timeout time.Duration
	waitCmd := &cobra.Command{
		Use:   "wait ID",
		Short: "Wait for a workflow, printing a line per step as it finishes, then its result",
		Long: `Wait for a workflow to finish, following its events: a line per step with
its state as each finishes, then the workflow's result on stdout. A failed
or canceled workflow prints its error and exits with status 2.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect()
			if err != nil {
				return err
			}
			return waitWorkflow(cmd.Context(), c, cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], timeout)
		},
	}
	waitCmd.Flags().DurationVar(&timeout, "timeout", 0, "give up after this long (0: never)")
	cmd.AddCommand(waitCmd)
	for _, op := range []struct {
		use, short string
		fn         func(*client.Client, context.Context, string) (*client.Workflow, error)
	}{
		{"cancel", "Cancel a workflow: steps not started are canceled, running ones stop", (*client.Client).CancelWorkflow},
		{"retry", "Rerun a failed or canceled workflow's failed, canceled and skipped steps", (*client.Client).RetryWorkflow},
		{"pause", "Stop a workflow from starting steps", (*client.Client).PauseWorkflow},
		{"resume", "Start a paused workflow's ready steps again", (*client.Client).ResumeWorkflow},
	} {
		cmd.AddCommand(&cobra.Command{
			Use:   op.use + " ID",
			Short: op.short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := connect()
				if err != nil {
					return err
				}
				w, err := op.fn(c.Client, cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return show(cmd, w)
			},
		})
	}
	var format string
	graph := &cobra.Command{
		Use:   "graph ID",
		Short: "Print a workflow's dependency graph with each step's state (Mermaid by default)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect()
			if err != nil {
				return err
			}
			b, err := c.WorkflowGraph(cmd.Context(), args[0], format)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	graph.Flags().StringVar(&format, "format", "mermaid", "mermaid, dot or json")
	cmd.AddCommand(graph)
	return cmd
}

// newShapeCmd is nexus batch or nexus chain: submit only; the workflow
// commands serve the rest.
func newShapeCmd(use, short string, fn func(*client.Client, context.Context, json.RawMessage) (*client.Workflow, bool, error)) *cobra.Command {
	var server string
	var asJSON, wait bool
	cmd := &cobra.Command{Use: use, Short: short}
	addServerFlag(cmd, &server)
	addJSONFlag(cmd.PersistentFlags(), &asJSON)
	connect := func() (*apiClient, error) { return newClient(server) }
	show := func(cmd *cobra.Command, w *client.Workflow) error {
		if asJSON {
			return printJSON(cmd.OutOrStdout(), w)
		}
		return printWorkflow(cmd.OutOrStdout(), w)
	}
	submit := &cobra.Command{
		Use:   "submit FILE.yaml|FILE.json",
		Short: "Submit one (YAML or JSON); nexus workflow get, wait, cancel, retry and graph take its id",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return submitShape(cmd, connect, args[0], fn, wait, show, asJSON)
		},
	}
	submit.Flags().BoolVar(&wait, "wait", false, "wait for it, printing a line per step as it finishes, then its result")
	cmd.AddCommand(submit)
	return cmd
}

func submitShape(cmd *cobra.Command, connect func() (*apiClient, error), path string,
	fn func(*client.Client, context.Context, json.RawMessage) (*client.Workflow, bool, error),
	wait bool, show func(*cobra.Command, *client.Workflow) error, asJSON bool) error {
	body, err := readSpecFile(path)
	if err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	w, _, err := fn(c.Client, cmd.Context(), body)
	if err != nil {
		return err
	}
	if !wait {
		if asJSON {
			return show(cmd, w)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s %s: %d steps, %s\n", w.Kind, w.ID, w.StepCount, w.State)
		return nil
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s %s: %d steps\n", w.Kind, w.ID, w.StepCount)
	return waitWorkflow(cmd.Context(), c, cmd.OutOrStdout(), cmd.ErrOrStderr(), w.ID, 0)
}

// printWorkflow prints a workflow and its steps as a table.
func printWorkflow(out io.Writer, w *client.Workflow) error {
	fmt.Fprintf(out, "%s %s", w.Kind, w.ID)
	if w.Name != "" {
		fmt.Fprintf(out, " (%s)", w.Name)
	}
	fmt.Fprintf(out, ": %s", w.State)
	if w.ErrorMessage != "" {
		fmt.Fprintf(out, ": %s", w.ErrorMessage)
	}
	fmt.Fprintln(out)
	if w.CallbackFired {
		fmt.Fprintf(out, "callback fired %s\n", orDash(w.CallbackTask))
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tSTATE\tTASK\tMODULE\tDEPENDS ON")
	for _, s := range w.Steps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.State, orDash(s.TaskID), orDash(s.Module), orDash(strings.Join(s.DependsOn, ",")))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// waitWorkflow follows workflow id's events (GET /v1/events?workflow=ID
// as SSE), printing a line per step as it finishes to stderr, and prints
// the result once the workflow has finished.
func waitWorkflow(ctx context.Context, c *apiClient, stdout, stderr io.Writer, id string, timeout time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	// The stream is opened before the record is read, so an event
	// published in between is not missed.
	stream, err := c.FollowEvents(ctx, client.EventFilter{Workflow: id, Types: []string{"workflow.*"}})
	if err != nil && !client.IsCode(err, client.CodeUnavailable) {
		return err
	}
	if stream != nil {
		defer stream.Close()
	}
	w, err := c.GetWorkflow(ctx, id)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, s := range w.Steps {
		if finishedStep(s.State) {
			seen[s.ID] = true
			fmt.Fprintf(stderr, "%s %s\n", s.ID, s.State)
		}
	}
	for !w.Finished() {
		if stream == nil { // no events: long-poll
			if _, _, err := c.WorkflowResult(ctx, id, 30*time.Second); err != nil && !isWorkflowFailure(err) {
				return err
			}
			if w, err = c.GetWorkflow(ctx, id); err != nil {
				return err
			}
			continue
		}
		e, err := stream.Next()
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("workflow %s is still %s: %w", id, w.State, ctx.Err())
			}
			stream = nil
			continue
		}
		if step, _ := e.Data["step"].(string); e.Type == "workflow.step_finished" && !seen[step] {
			seen[step] = true
			fmt.Fprintf(stderr, "%s %s\n", step, e.State)
		}
		switch e.Type {
		case "workflow.succeeded", "workflow.failed", "workflow.canceled":
			w.State = e.State
		}
	}
	out, _, err := c.WorkflowResult(ctx, id, 0)
	if err != nil {
		return err
	}
	_, err = stdout.Write(out)
	return err
}

func finishedStep(s string) bool {
	switch s {
	case "succeeded", "failed", "dead", "canceled", "skipped":
		return true
	}
	return false
}

func isWorkflowFailure(err error) bool {
	return client.IsCode(err, client.CodeTaskError) || client.IsCode(err, client.CodeCanceled)
}
