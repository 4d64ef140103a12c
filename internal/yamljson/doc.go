// Package yamljson converts YAML (1.2: only true/false are booleans, so a
// function named "no" or "on" stays a string) or JSON to JSON, so that every
// spec and profile is decoded by encoding/json with its struct tags and
// DisallowUnknownFields. sigs.k8s.io/yaml would do the conversion but follows
// YAML 1.1, where n, y, on and off are booleans.
package yamljson
