package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Set at link time by make dist (-ldflags -X main.version=… -X
// main.commit=…); empty in a plain go build, which falls back on the
// build information.
var (
	version string
	commit  string
)

// wazeroModule is the module path of the sandbox's runtime, whose version
// nexus version reports.
const wazeroModule = "github.com/tetratelabs/wazero"

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of nexus: version, commit, Go and wazero versions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), versionString())
			return err
		},
	}
}

// versionString describes the running binary:
// "nexus v1.2.3 (commit 0123abcd…, 2026-01-02T15:04:05Z, modified) go1.26.0 wazero v1.12.0".
// The version and commit are those stamped at link time, else the
// module version ("(devel)" for a build from a work tree) and the VCS
// revision and time where the build recorded them.
func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = &debug.BuildInfo{}
	}
	v := version
	if v == "" {
		v = bi.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	var vcs []string
	if commit != "" {
		vcs = append(vcs, "commit "+commit)
	}
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if commit == "" {
				vcs = append([]string{"commit " + s.Value}, vcs...)
			}
		case "vcs.time":
			vcs = append(vcs, s.Value)
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && len(vcs) > 0 {
		vcs = append(vcs, "modified")
	}
	s := "nexus " + v
	if len(vcs) > 0 {
		s += " (" + strings.Join(vcs, ", ") + ")"
	}
	goVersion := bi.GoVersion
	if goVersion == "" {
		goVersion = "go(unknown)"
	}
	return s + " " + goVersion + " wazero " + depVersion(bi, wazeroModule)
}

// depVersion returns the version of the module path the binary links.
func depVersion(bi *debug.BuildInfo, path string) string {
	for _, d := range bi.Deps {
		if d.Path == path {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return "(unknown)"
}
