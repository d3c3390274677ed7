package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

// newHealthcheckCmd is nexus healthcheck: the container image's probe,
// which has no shell or curl to ask the server with.
func newHealthcheckCmd() *cobra.Command {
	var server string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 if the server is ready (GET /readyz), 1 otherwise: a container's health probe",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient(server)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			if err := c.Ready(ctx); err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), "ready")
			return err
		},
	}
	addServerFlag(cmd, &server)
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "how long to wait for the answer")
	return cmd
}
