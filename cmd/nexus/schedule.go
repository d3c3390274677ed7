package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// scheduleWhen describes a schedule's timing.
func scheduleWhen(s *client.Schedule) string {
	switch {
	case s.Every != "":
		return "every " + s.Every
	case s.Timezone != "":
		return s.Cron + " (" + s.Timezone + ")"
	}
	return s.Cron
}

// nextDue is a schedule's next due time as the CLI shows it: "paused"
// while paused (a paused schedule has none), "-" if the server gave none.
func nextDue(s *client.Schedule) string {
	switch {
	case s.Paused:
		return "paused"
	case s.NextDue.IsZero():
		return "-"
	}
	return s.NextDue.Local().Format(time.DateTime)
}

func scheduleState(s *client.Schedule) string {
	if s.Paused {
		return "paused"
	}
	return "active"
}

func newScheduleCmd() *cobra.Command {
	var server string
	var asJSON bool
	cmd := &cobra.Command{Use: "schedule", Short: "Create, list, show, pause, resume and delete cron and interval schedules"}
	addServerFlag(cmd, &server)
	addJSONFlag(cmd.PersistentFlags(), &asJSON)
	connect := func() (*apiClient, error) { return newClient(server) }

	// printSchedule prints the server's answer about one schedule.
	printSchedule := func(cmd *cobra.Command, verb string, s *client.Schedule) error {
		if asJSON {
			return printRaw(cmd.OutOrStdout(), s.Raw)
		}
		next := "paused"
		if !s.Paused {
			next = "next due " + nextDue(s)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s %s: %s, %s\n", verb, s.Name, scheduleWhen(s), next)
		return nil
	}

	cmd.AddCommand(newScheduleAddCmd(connect, printSchedule))

	ls := &cobra.Command{
		Use:   "ls",
		Short: "List schedules",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := connect()
			if err != nil {
				return err
			}
			list, err := c.ListSchedules(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printRaw(cmd.OutOrStdout(), list.Raw)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tSCHEDULE\tOVERLAP\tCATCH-UP\tSTATE\tNEXT DUE")
			for i := range list.Schedules {
				s := &list.Schedules[i]
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, scheduleWhen(s), s.Overlap, s.CatchUp, scheduleState(s), nextDue(s))
			}
			return w.Flush()
		},
	}

	var runs int
	get := &cobra.Command{
		Use:   "get NAME",
		Short: "Show a schedule and its last runs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect()
			if err != nil {
				return err
			}
			s, err := c.GetSchedule(cmd.Context(), args[0], runs)
			if err != nil {
				return err
			}
			if asJSON {
				return printRaw(cmd.OutOrStdout(), s.Raw)
			}
			return printScheduleRuns(cmd.OutOrStdout(), s)
		},
	}
	get.Flags().IntVar(&runs, "runs", 20, "how many of the last runs to show")

	post := func(use, short, verb string, action func(*client.Client, context.Context, string) (*client.Schedule, error)) *cobra.Command {
		return &cobra.Command{
			Use:   use + " NAME",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := connect()
				if err != nil {
					return err
				}
				s, err := action(c.Client, cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return printSchedule(cmd, verb, s)
			},
		}
	}
	pause := post("pause", "Stop a schedule firing until resumed", "paused", (*client.Client).PauseSchedule)
	resume := post("resume", "Let a paused schedule fire again, from its next due time", "resumed", (*client.Client).ResumeSchedule)

	rm := &cobra.Command{
		Use:   "rm NAME",
		Short: "Delete a schedule (tasks it submitted are kept)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect()
			if err != nil {
				return err
			}
			if err := c.DeleteSchedule(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(ls, get, pause, resume, rm)
	return withLogs(cmd)
}

// printScheduleRuns prints a schedule and its runs, newest first.
func printScheduleRuns(out io.Writer, s *client.Schedule) error {
	fmt.Fprintf(out, "%s: %s, overlap %s, catch-up %s, %s", s.Name, scheduleWhen(s), s.Overlap, s.CatchUp, scheduleState(s))
	if !s.Paused {
		fmt.Fprintf(out, ", next due %s", nextDue(s))
	}
	fmt.Fprintf(out, "\ntask: %s\n", s.Task)
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "DUE\tFIRED\tLAG\tTASK\tOUTCOME")
	for _, r := range s.Runs {
		fired, lag := "-", "-"
		if r.FiredAt != nil {
			fired, lag = r.FiredAt.Local().Format("15:04:05.000"), r.FiredAt.Sub(r.Due).Round(time.Microsecond).String()
		}
		outcome := r.Outcome
		if r.Error != "" {
			outcome += ": " + r.Error
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.Due.Local().Format("2006-01-02 15:04:05.000"), fired, lag, r.TaskID, outcome)
	}
	return w.Flush()
}

// newScheduleAddCmd is nexus schedule add (also nexus schedule create).
func newScheduleAddCmd(connect func() (*apiClient, error), printSchedule func(*cobra.Command, string, *client.Schedule) error) *cobra.Command {
	var s client.ScheduleSpec
	var o taskFlags
	var task, module, overlap, catchUp string
	cmd := &cobra.Command{
		Use:     "add NAME (--cron EXPR | --every DURATION) (--module MODULE [task flags] | --task JSON)",
		Aliases: []string{"create"},
		Short:   "Create a schedule that submits a task at each due time",
		Long: `Create a schedule. --cron takes 5 fields (minute hour day-of-month month
day-of-week), 6 with leading seconds, or a descriptor such as @daily, read in
--timezone (or a CRON_TZ=<zone> prefix; default UTC). --every takes a Go
duration (at least 1s); its due times are multiples of it since the Unix
epoch. Each due time submits the task once, with the idempotency key
schedule/<name>/<due unix>.

The task is --module MODULE with the flags nexus task submit takes for it
(--data or --input, --priority, --fuel, --memory, --timeout, ...), or a
whole POST /v1/tasks body as --task JSON.`,
		Args: argNames("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect()
			if err != nil {
				return err
			}
			s.Name, s.Overlap, s.CatchUp = args[0], client.Overlap(overlap), client.CatchUp(catchUp)
			if s.Task, err = scheduleTask(cmd, task, module, &o); err != nil {
				return err
			}
			created, err := c.CreateSchedule(cmd.Context(), s)
			if err != nil {
				return err
			}
			return printSchedule(cmd, "created", created)
		},
	}
	f := cmd.Flags()
	f.StringVar(&s.Cron, "cron", "", "cron expression (5 or 6 fields, or @hourly, @daily, ...)")
	f.StringVar(&s.Timezone, "timezone", "", "IANA time zone the cron expression is read in (default UTC)")
	f.StringVar(&s.Every, "every", "", "interval, a Go duration such as 30s or 1h")
	f.StringVar(&module, "module", "", "module the task runs")
	o.register(f)
	f.StringVar(&task, "task", "", `the task template as JSON, a POST /v1/tasks body: {"module":"m","input":"..."}`)
	f.StringVar(&overlap, "overlap", "", "while the previous run is unfinished: skip (default), buffer_one or allow")
	f.StringVar(&catchUp, "catch-up", "", "due times missed while the server was down: none, one (default) or all")
	f.BoolVar(&s.Paused, "paused", false, "create the schedule paused")
	return cmd
}

// scheduleTask returns a schedule's task template: --task as given, or
// the body nexus task submit would send for --module and the task flags.
func scheduleTask(cmd *cobra.Command, task, module string, o *taskFlags) (json.RawMessage, error) {
	var taskFlagSet []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if isTaskFlag(f.Name) {
			taskFlagSet = append(taskFlagSet, "--"+f.Name)
		}
	})
	switch {
	case task != "" && module != "":
		return nil, usageError{fmt.Errorf("give --task or --module, not both")}
	case task != "" && len(taskFlagSet) > 0:
		return nil, usageError{fmt.Errorf("%s: put it in the --task JSON, or use --module", strings.Join(taskFlagSet, ", "))}
	case task != "":
		return json.RawMessage(task), nil
	case module == "":
		return nil, usageError{fmt.Errorf("give the task: --module MODULE [--data INPUT ...] or --task JSON")}
	}
	spec, err := o.spec(cmd.InOrStdin(), module)
	if err != nil {
		return nil, err
	}
	return client.TaskTemplate(spec)
}

// isTaskFlag reports whether name is one of taskFlags' flags.
func isTaskFlag(name string) bool {
	var probe taskFlags
	fs := pflag.NewFlagSet("", pflag.ContinueOnError)
	probe.register(fs)
	return fs.Lookup(name) != nil
}
