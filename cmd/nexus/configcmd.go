package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/nexustask/nexus/internal/config"
	"github.com/spf13/cobra"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show or check the configuration of nexus serve",
		Long: `Show or check the configuration of nexus serve.

Every flag of nexus serve is a key of the configuration file, by the same
name, and an environment variable NEXUS_<FLAG> (upper case, dashes as
underscores). Flags win over the environment, which wins over the file,
which wins over the defaults. Keys marked reloadable change without a
restart, on SIGHUP (which re-reads the file) or PATCH /v1/config.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newConfigShowCmd(), newConfigCheckCmd())
	return cmd
}

// configEntry is one key as nexus config show prints it.
type configEntry struct {
	config.Value
	Reloadable bool `json:"reloadable"`
}

func newConfigShowCmd() *cobra.Command {
	var file string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show [--config FILE] [--json]",
		Short: "Print the effective configuration of nexus serve, with the source of each value",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadServeConfig(file, nil)
			if err != nil {
				return err
			}
			reg := reloadable(&running{})
			entries := make([]configEntry, 0, len(cfg.Values()))
			for _, v := range cfg.Values() {
				entries = append(entries, configEntry{Value: v, Reloadable: slices.Contains(reg.Keys(), v.Key)})
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), entries)
			}
			return printConfig(cmd.OutOrStdout(), entries)
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "the configuration file nexus serve would read (default: NEXUS_CONFIG)")
	addJSONFlag(cmd.Flags(), &asJSON)
	return cmd
}

func newConfigCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE",
		Short: "Check a configuration file of nexus serve without starting it: unknown keys, wrong types, bad values",
		Args:  argNames("FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := loadServeConfig(args[0], []string{}); err != nil {
				return err
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", args[0])
			return err
		},
	}
}

// loadServeConfig loads nexus serve's configuration from file (or
// NEXUS_CONFIG if "") and environ (nil: the process's), as serve would
// with no flags, and checks it as serve would before starting.
func loadServeConfig(file string, environ []string) (*config.Config, error) {
	o := &serveOptions{}
	fs := newServeCmdFor(o).Flags()
	o.configFile = file
	r, err := newReloader(fs, o, environ)
	if err != nil {
		return nil, err
	}
	if err := o.validate(); err != nil {
		return nil, annotate(r.cur, err)
	}
	return r.cur, nil
}

// printConfig prints the configuration as a table.
func printConfig(w io.Writer, entries []configEntry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE\tRELOADABLE")
	for _, e := range entries {
		src := string(e.Source)
		if e.Origin != "" {
			src += " (" + e.Origin + ")"
		}
		reload := ""
		if e.Reloadable {
			reload = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Key, e.Value.Value, src, reload)
	}
	return tw.Flush()
}
