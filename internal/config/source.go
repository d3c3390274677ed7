package config

// Source says where a key's effective value comes from.
type Source string

// The sources, from the lowest precedence to the highest. Runtime is a
// value changed while the server runs (PATCH /v1/config).
const (
	Default Source = "default"
	File    Source = "file"
	Env     Source = "env"
	Flag    Source = "flag"
	Runtime Source = "runtime"
)

// Value is one key's effective value.
type Value struct {
	// Key is the flag's name.
	Key string `json:"key"`
	// Value is the value as the flag prints it; for a repeatable flag,
	// its values joined by commas.
	Value string `json:"value"`
	// List holds a repeatable flag's values (nil for other flags).
	List []string `json:"list,omitempty"`
	// Type is the flag's value type, as pflag names it: string, bool,
	// int, duration, stringArray, or the name of a custom type.
	Type string `json:"type"`
	// Source says where Value comes from; Origin names it exactly: the
	// file and line, the environment variable, or the flag.
	Source Source `json:"source"`
	Origin string `json:"origin,omitempty"`
}
