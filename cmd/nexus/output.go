package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/nexustask/nexus/internal/config"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Output formats of --output.
const (
	outputTable = "table"
	outputJSON  = "json"
	outputYAML  = "yaml"
)

// outputValue is --output: table (the default text), json or yaml. It
// sets the command's asJSON for json and yaml alike, so each command has
// one branch for the server's JSON; printRaw turns it into YAML when the
// command's output writer is a yamlWriter (see useOutput).
type outputValue struct {
	format *string
	asJSON *bool
}

func (v outputValue) String() string {
	if v.format == nil || *v.format == "" {
		return outputTable
	}
	return *v.format
}

func (v outputValue) Set(s string) error {
	switch s {
	case outputTable, outputJSON, outputYAML:
		*v.format, *v.asJSON = s, s != outputTable
		return nil
	}
	return fmt.Errorf("want table, json or yaml, not %q", s)
}

func (v outputValue) Type() string { return "format" }

// jsonAlias is --json: --output json.
type jsonAlias struct{ out outputValue }

func (a jsonAlias) String() string {
	return fmt.Sprint(a.out.asJSON != nil && *a.out.asJSON && *a.out.format == outputJSON)
}

func (a jsonAlias) Set(s string) error {
	if s == "false" {
		return a.out.Set(outputTable)
	}
	if s != "true" {
		return fmt.Errorf("want true or false, not %q", s)
	}
	return a.out.Set(outputJSON)
}

func (a jsonAlias) Type() string     { return "bool" }
func (a jsonAlias) IsBoolFlag() bool { return true }

// addOutputFlags adds --output/-o table|json|yaml and --json (an alias
// of --output json) to f, setting *asJSON for json and yaml.
func addOutputFlags(f *pflag.FlagSet, asJSON *bool) {
	out := outputValue{format: new(string), asJSON: asJSON}
	f.VarP(out, "output", "o", "output format: table, json (the server's JSON) or yaml")
	f.Var(jsonAlias{out}, "json", "print the server's JSON (same as --output json)")
	f.Lookup("json").NoOptDefVal = "true"
}

// useOutput makes a command run with --output yaml write its JSON as
// YAML: printRaw converts what it writes to a yamlWriter. It is the root
// command's PersistentPreRunE.
func useOutput(cmd *cobra.Command, _ []string) error {
	if f := cmd.Flags().Lookup("output"); f != nil && f.Value.Type() == "format" && f.Value.String() == outputYAML {
		cmd.SetOut(yamlWriter{cmd.OutOrStdout()})
	}
	return nil
}

// yamlWriter is a command's output under --output yaml.
type yamlWriter struct{ io.Writer }

// printRaw prints the server's JSON as it came, or as YAML to a yamlWriter.
func printRaw(w io.Writer, data []byte) error {
	if y, ok := w.(yamlWriter); ok {
		doc, err := config.JSONToYAML(data)
		if err != nil {
			return err
		}
		_, err = y.Writer.Write(doc)
		return err
	}
	_, err := w.Write(data)
	if len(data) > 0 && data[len(data)-1] != '\n' {
		fmt.Fprintln(w)
	}
	return err
}

// printJSON prints v as indented JSON (or YAML, see printRaw).
func printJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	return printRaw(w, buf.Bytes())
}
