package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/posflag"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"
)

// EnvPrefix starts the name of every configuration environment variable.
const EnvPrefix = "NEXUS_"

// EnvName returns the environment variable of key: "data-dir" is
// NEXUS_DATA_DIR.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
}

// Options says where Load reads values besides the command line.
type Options struct {
	// File is the configuration file; "" means none. Its extension says
	// its format: .yaml or .yml, .json, .toml.
	File string
	// Environ lists the environment as KEY=VALUE; nil means os.Environ().
	Environ []string
	// Unbound are flags that get no key and no environment variable
	// (--config itself, --help).
	Unbound []string
	// Overrides are values set while the server runs, above every other
	// source: a key's value as JSON decodes it (a string, number, bool or
	// list of them).
	Overrides map[string]any
}

// Config is the effective configuration of a flag set: every bound flag's
// value and its source. It is immutable.
type Config struct {
	values []Value // sorted by key
	byKey  map[string]int
}

// Values returns every key's value, sorted by key. The caller must not
// modify the slice.
func (c *Config) Values() []Value { return c.values }

// Get returns key's value.
func (c *Config) Get(key string) (Value, bool) {
	i, ok := c.byKey[key]
	if !ok {
		return Value{}, false
	}
	return c.values[i], true
}

// Load sets every bound flag of fs that the command line did not set
// (fs's flags marked Changed) from the overrides, the environment or the
// file, in that order, and returns the effective configuration. A flag
// takes a value through its own Set, as if given on the command line; a
// repeatable flag (pflag.SliceValue) takes a list from the file, or
// comma-separated values from the environment. Every refused key of the
// file is reported, joined; Load sets flags only once all keys pass.
func Load(fs *pflag.FlagSet, o Options) (*Config, error) {
	unbound := func(name string) bool { return slices.Contains(o.Unbound, name) }
	file, err := readFile(o.File)
	if err != nil {
		return nil, err
	}
	if err := file.checkKeys(fs, unbound); err != nil {
		return nil, err
	}
	environ, err := readEnv(o.Environ)
	if err != nil {
		return nil, err
	}
	given := koanf.New(".")
	if err := given.Load(posflag.Provider(fs, ".", nil), nil); err != nil {
		return nil, fmt.Errorf("config: command line: %w", err)
	}
	c := &Config{byKey: map[string]int{}}
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if unbound(f.Name) {
			return
		}
		v, err := settle(f, given.Exists(f.Name), o.Overrides, environ, file)
		if err != nil {
			errs = append(errs, err)
			return
		}
		c.byKey[f.Name] = len(c.values)
		c.values = append(c.values, v)
	})
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// settle sets f from the highest source that has a value for it, and
// returns its effective value.
func settle(f *pflag.Flag, onCommandLine bool, overrides map[string]any, environ *koanf.Koanf, file *fileValues) (Value, error) {
	v := Value{Key: f.Name, Type: f.Value.Type(), Source: Default}
	var vals []string
	var err error
	if raw, ok := overrides[f.Name]; ok {
		v.Source, v.Origin = Runtime, "a change at runtime"
		if vals, err = ValueStrings(raw); err == nil {
			err = set(f, vals)
		}
	} else if onCommandLine {
		v.Source, v.Origin = Flag, "--"+f.Name
	} else if environ.Exists(f.Name) {
		v.Source, v.Origin = Env, EnvName(f.Name)
		s := environ.String(f.Name)
		vals = []string{s}
		if _, ok := f.Value.(pflag.SliceValue); ok {
			vals = strings.Split(s, ",")
		}
		err = set(f, vals)
	} else if raw, ok := file.values[f.Name]; ok {
		v.Source, v.Origin = File, file.origin(f.Name)
		if vals, err = ValueStrings(raw); err == nil {
			err = set(f, vals)
		}
	}
	if err != nil {
		return v, &KeyError{Key: f.Name, Origin: v.Origin, Err: err}
	}
	v.Value = f.Value.String()
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		v.List = sv.GetSlice()
		v.Value = strings.Join(v.List, ",")
	}
	return v, nil
}

// set gives f the values, as the command line would.
func set(f *pflag.Flag, vals []string) error {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		for _, s := range vals {
			// Check each value with the flag's own parser before replacing.
			if err := f.Value.Set(s); err != nil {
				return err
			}
		}
		return sv.Replace(vals)
	}
	if len(vals) != 1 {
		return fmt.Errorf("wants one value, not a list of %d", len(vals))
	}
	return f.Value.Set(vals[0])
}

// readEnv returns the NEXUS_ variables of environ, keyed by the flag name
// they bind (NEXUS_DATA_DIR as data-dir). Variables that name no flag are
// there too, and ignored: NEXUS_SERVER is the CLI's.
func readEnv(environ []string) (*koanf.Koanf, error) {
	if environ == nil {
		environ = os.Environ()
	}
	k := koanf.New("\x00")
	err := k.Load(env.Provider("\x00", env.Opt{
		Prefix:      EnvPrefix,
		EnvironFunc: func() []string { return environ },
		TransformFunc: func(key, value string) (string, any) {
			key = strings.ToLower(strings.TrimPrefix(key, EnvPrefix))
			return strings.ReplaceAll(key, "_", "-"), value
		},
	}), nil)
	if err != nil {
		return nil, fmt.Errorf("config: environment: %w", err)
	}
	return k, nil
}

// displayPath is path as error messages show it.
func displayPath(path string) string { return filepath.ToSlash(path) }
