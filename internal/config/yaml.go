package config

import (
	"bytes"
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// JSONToYAML returns a JSON document as block-style YAML, keeping the
// order of object keys (JSON is YAML, so it is read as it is and written
// again without the flow style).
func JSONToYAML(doc []byte) ([]byte, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		return nil, fmt.Errorf("config: not JSON: %w", err)
	}
	block(&n)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return buf.Bytes(), nil
}

// block clears the flow style of n and its children, keeping the quotes
// of strings that YAML would otherwise read as another type.
func block(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode {
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 && n.Tag == "!!str" {
			n.Style = 0 // the encoder quotes where the plain form would mislead
		}
		return
	}
	n.Style &^= yaml.FlowStyle
	for _, c := range n.Content {
		block(c)
	}
}

// YAMLToJSON converts a YAML document to JSON (a JSON document is YAML,
// and comes back as the same value). Mappings must have string keys.
func YAMLToJSON(doc []byte) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		return nil, fmt.Errorf("config: not YAML: %w", err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return out, nil
}
