package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/spf13/cobra"
)

// newMetricsCmd is nexus metrics [--watch] [--json] [FILTER].
func newMetricsCmd() *cobra.Command {
	var server string
	var asJSON, watch bool
	var every time.Duration
	cmd := &cobra.Command{
		Use:   "metrics [FILTER]",
		Short: "Show the server's metrics (those whose name contains FILTER), once or refreshed with --watch",
		Long: `Show the server's metrics from GET /v1/metrics: a line per series with its
labels and value; histograms with their count, sum and estimated p50, p90
and p99. FILTER keeps the metrics whose name contains it. --watch redraws
the table every --interval until interrupted; --json prints the server's
JSON.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient(server)
			if err != nil {
				return err
			}
			filter := ""
			if len(args) == 1 {
				filter = args[0]
			}
			out := cmd.OutOrStdout()
			show := func(ctx context.Context) error {
				fams, raw, err := c.Metrics(ctx, filter)
				if err != nil {
					return err
				}
				if asJSON {
					return printRaw(out, raw)
				}
				return writeMetrics(out, fams)
			}
			if !watch {
				return show(cmd.Context())
			}
			// Ctrl-C ends the watch, not the process: exit status 0.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return watchMetrics(ctx, out, every, show)
		},
	}
	addServerFlag(cmd, &server)
	addJSONFlag(cmd.Flags(), &asJSON)
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "redraw every --interval until interrupted")
	cmd.Flags().DurationVar(&every, "interval", 2*time.Second, "time between two redraws of --watch")
	return cmd
}

// watchMetrics calls show every interval, clearing the terminal before
// each, until ctx ends.
func watchMetrics(ctx context.Context, out io.Writer, every time.Duration, show func(context.Context) error) error {
	if every <= 0 {
		return usageError{fmt.Errorf("--interval must be positive")}
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		fmt.Fprint(out, "\x1b[H\x1b[2J")
		fmt.Fprintf(out, "%s  (every %v, Ctrl-C to stop)\n\n", time.Now().Format(time.TimeOnly), every)
		if err := show(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// writeMetrics writes a table: name, labels, value (for a histogram or
// summary: count, sum and quantiles).
func writeMetrics(w io.Writer, fams []client.MetricFamily) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tLABELS\tVALUE")
	for _, f := range fams {
		for _, m := range f.Metrics {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Name, labelText(m.Labels), valueText(m))
		}
	}
	return tw.Flush()
}

// labelText prints labels as k=v pairs, sorted.
func labelText(l map[string]string) string {
	if len(l) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + l[k]
	}
	return strings.Join(parts, ",")
}

// valueText prints a sample's value, or its count, sum and quantiles.
func valueText(m client.MetricSample) string {
	if m.Value != nil {
		return num(*m.Value)
	}
	if m.Count == nil {
		return "-"
	}
	s := fmt.Sprintf("count=%d sum=%s", *m.Count, num(*m.Sum))
	qs := make([]string, 0, len(m.Quantiles))
	for q := range m.Quantiles {
		qs = append(qs, q)
	}
	sort.Slice(qs, func(i, j int) bool {
		a, _ := strconv.ParseFloat(qs[i], 64)
		b, _ := strconv.ParseFloat(qs[j], 64)
		return a < b
	})
	for _, q := range qs {
		s += " " + percentile(q) + "=" + num(m.Quantiles[q])
	}
	return s
}

// num prints a figure briefly: integers whole, others to 4 significant
// digits.
func num(f float64) string {
	if f == float64(int64(f)) && f < 1e15 && f > -1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 4, 64)
}

// percentile names a quantile: p50 for 0.5, p99 for 0.99, p999 for 0.999.
func percentile(q string) string {
	d := strings.TrimPrefix(q, "0.")
	return "p" + d + strings.Repeat("0", max(0, 2-len(d)))
}
