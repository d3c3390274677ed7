package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/spf13/cobra"
)

func newWebhookCmd() *cobra.Command {
	var server string
	var asJSON bool
	cmd := &cobra.Command{Use: "webhook", Short: "Add, list, show and remove webhook endpoints, and show their deliveries"}
	addServerFlag(cmd, &server)
	addJSONFlag(cmd.PersistentFlags(), &asJSON)
	printJSON := func(cmd *cobra.Command, v any) error {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		return printRaw(cmd.OutOrStdout(), b)
	}

	var spec client.WebhookSpec
	var disabled bool
	add := &cobra.Command{
		Use:   "add NAME URL",
		Short: "Add an endpoint: matching events are posted to URL, signed with --secret",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient(server)
			if err != nil {
				return err
			}
			spec.Name, spec.URL = args[0], args[1]
			spec.Enabled = client.Ptr(!disabled)
			w, err := c.CreateWebhook(cmd.Context(), spec)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, w)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added webhook %s → %s (%s)\n", w.Name, w.URL, webhookTypes(w))
			return nil
		},
	}
	af := add.Flags()
	af.StringArrayVar(&spec.Types, "type", nil, "event type sent, exact or a prefix such as task.* (repeatable; default: all)")
	af.StringVar(&spec.Module, "module", "", "only events of this module")
	af.StringArrayVar(&spec.Tags, "tag", nil, "only events of tasks with this tag (repeatable: all of them)")
	af.StringVar(&spec.Secret, "secret", "", "secret signing each delivery (webhook-signature); whsec_BASE64 or plain text")
	af.BoolVar(&disabled, "disabled", false, "add it disabled")

	ls := &cobra.Command{
		Use:   "ls",
		Short: "List endpoints",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient(server)
			if err != nil {
				return err
			}
			ws, err := c.Webhooks(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, map[string]any{"webhooks": ws})
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tURL\tTYPES\tSTATE\tCURSOR")
			for i := range ws {
				w := &ws[i]
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", w.Name, w.URL, webhookTypes(w), webhookState(w), w.Cursor)
			}
			return tw.Flush()
		},
	}

	get := &cobra.Command{
		Use:   "get NAME",
		Short: "Show an endpoint",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient(server)
			if err != nil {
				return err
			}
			w, err := c.GetWebhook(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, w)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "name:     %s\nurl:      %s\ntypes:    %s\n", w.Name, w.URL, webhookTypes(w))
			if w.Module != "" {
				fmt.Fprintf(out, "module:   %s\n", w.Module)
			}
			if len(w.Tags) > 0 {
				fmt.Fprintf(out, "tags:     %s\n", strings.Join(w.Tags, ", "))
			}
			fmt.Fprintf(out, "state:    %s\nsigned:   %v\ncursor:   %s\ncreated:  %s\n", webhookState(w), w.Signed, w.Cursor, w.CreatedAt.Local().Format(time.DateTime))
			if w.FailingReason != "" {
				fmt.Fprintf(out, "failing:  %s\n", w.FailingReason)
			}
			return nil
		},
	}

	rm := &cobra.Command{
		Use:   "rm NAME",
		Short: "Remove an endpoint",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient(server)
			if err != nil {
				return err
			}
			if err := c.DeleteWebhook(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed webhook %s\n", args[0])
			return nil
		},
	}

	deliveries := &cobra.Command{
		Use:   "deliveries NAME",
		Short: "Show an endpoint's last delivery attempts, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient(server)
			if err != nil {
				return err
			}
			ds, err := c.WebhookDeliveries(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, map[string]any{"deliveries": ds})
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tEVENT\tTYPE\tATTEMPT\tSTATUS\tLATENCY\tNEXT RETRY\tERROR")
			for _, d := range ds {
				next := "-"
				if d.NextRetry != nil {
					next = d.NextRetry.Local().Format(time.TimeOnly)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%.1fms\t%s\t%s\n", d.Time.Local().Format(time.DateTime), d.EventID, d.Type,
					d.Attempt, d.Status, d.LatencyMs, next, d.Error)
			}
			return tw.Flush()
		},
	}
	cmd.AddCommand(add, ls, get, rm, deliveries)
	return cmd
}

func webhookTypes(w *client.Webhook) string {
	if len(w.Types) == 0 {
		return "all events"
	}
	return strings.Join(w.Types, ", ")
}

func webhookState(w *client.Webhook) string {
	switch {
	case w.Failing:
		return "failing"
	case !w.Enabled:
		return "disabled"
	}
	return "enabled"
}
