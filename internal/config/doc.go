// Package config binds a command's flags to a configuration file and to
// environment variables, in one place: every flag of the set has a key of
// the same name in the file and an environment variable NEXUS_<FLAG>
// (upper case, dashes as underscores), so a flag added to the command is
// configurable everywhere without further code. The precedence is flags
// over environment over file over defaults.
//
// Load reads the file (YAML, JSON or TOML, by its extension) and the
// environment with knadh/koanf, which only this package imports, and sets
// every flag the command line did not, through the flag's own parser: a
// value from the file or the environment is checked exactly as the same
// value on the command line. An unknown key, a value of the wrong type or
// a value the flag refuses fails with a *KeyError naming the key and,
// where the format allows, the file's line.
//
// Registry holds the keys that may change while the server runs (see
// Registry.Apply); what a change does is the registering code's business.
package config
