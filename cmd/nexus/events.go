package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/spf13/cobra"
)

func newEventsCmd() *cobra.Command {
	var server, after, since string
	var f client.EventFilter
	var follow, asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Show events: every state change of tasks, modules, schedules, the cache and webhooks",
		Long: `Show the events kept in the event log, oldest first (--after, --since to
start later), or with --follow stream them as they are published until
interrupted, resuming where a broken stream stopped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient(server)
			if err != nil {
				return err
			}
			f.After = after
			if since != "" {
				t, err := time.Parse(time.RFC3339Nano, since)
				if err != nil {
					return fmt.Errorf("--since %q is not an RFC 3339 time", since)
				}
				f.Since = t
			}
			out := cmd.OutOrStdout()
			if !follow {
				page, err := c.Events(cmd.Context(), f, limit)
				if err != nil {
					return err
				}
				for i := range page.Events {
					if err := printEvent(out, &page.Events[i], asJSON); err != nil {
						return err
					}
				}
				return nil
			}
			return followEvents(cmd, c, f, func(e *client.Event) (bool, error) {
				return false, printEvent(out, e, asJSON)
			})
		},
	}
	addServerFlag(cmd, &server)
	fl := cmd.Flags()
	fl.StringArrayVar(&f.Types, "type", nil, "event type, exact or a prefix such as task.* (repeatable)")
	fl.StringVar(&f.Module, "module", "", "only events of this module")
	fl.StringVar(&f.Task, "task", "", "only events of this task id")
	fl.StringVar(&f.Tag, "tag", "", "only events of tasks with this tag")
	fl.StringVar(&f.Category, "category", "", "only events of tasks of this category")
	fl.StringVar(&after, "after", "", "start after this event id")
	fl.StringVar(&since, "since", "", "start at this time (RFC 3339)")
	fl.BoolVarP(&follow, "follow", "f", false, "stream events as they are published")
	fl.IntVar(&limit, "limit", 100, "most events shown without --follow (1..1000)")
	addJSONFlag(fl, &asJSON)
	return cmd
}

// followEvents streams the events of f until fn reports done, ctx ends,
// or the server refuses; a broken stream is opened again after the last
// event seen.
func followEvents(cmd *cobra.Command, c *apiClient, f client.EventFilter, fn func(*client.Event) (bool, error)) error {
	ctx := cmd.Context()
	for {
		s, err := c.FollowEvents(ctx, f)
		if err != nil {
			return err
		}
		for {
			e, err := s.Next()
			if err != nil {
				s.Close()
				if ctx.Err() != nil {
					return nil
				}
				var ce *client.Error
				if errors.As(err, &ce) {
					return err // gone: the events after the cursor were trimmed
				}
				break // the connection broke: resume after the last event
			}
			f.After = s.Last()
			done, err := fn(e)
			if err != nil || done {
				s.Close()
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// printEvent prints one event: its JSON with asJSON, else one line.
func printEvent(w io.Writer, e *client.Event, asJSON bool) error {
	if asJSON {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s  %-18s", e.Time.Local().Format("2006-01-02 15:04:05.000"), e.ID, e.Type)
	for _, kv := range [][2]string{{"task", e.TaskID}, {"module", e.Module}, {"state", e.State}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "  %s=%s", kv[0], kv[1])
		}
	}
	if e.Attempt > 0 {
		fmt.Fprintf(&b, "  attempt=%d", e.Attempt)
	}
	keys := make([]string, 0, len(e.Data))
	for k := range e.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %s=%v", k, e.Data[k])
	}
	_, err := fmt.Fprintln(w, b.String())
	return err
}
