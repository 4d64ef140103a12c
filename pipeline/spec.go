package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/confignav/confignav/fnmodel"
	"github.com/confignav/confignav/internal/yamljson"
)

// Spec is a pipeline as written in a spec file.
type Spec struct {
	Name          string     `json:"name"`
	Description   string     `json:"description,omitempty"`
	ParallelDepth int        `json:"parallel_depth,omitempty"`
	Functions     []Function `json:"functions"`
	Edges         []Edge     `json:"edges"`
}

// Function is one node of the pipeline: a deployed function.
type Function struct {
	Name      string           `json:"name"`
	Model     string           `json:"model,omitempty"`
	Profile   *fnmodel.Profile `json:"profile,omitempty"`
	Table     *fnmodel.Table   `json:"table,omitempty"`
	FanOut    string           `json:"fanout,omitempty"`
	FanOutMax int              `json:"fanout_max,omitempty"`
	TimeoutS  float64          `json:"timeout_s,omitempty"`
}

// Edge is a dependency: To starts after From has finished. DataMB, when set,
// overrides the data the edge moves.
type Edge struct {
	From   string
	To     string
	DataMB *float64
}

// MarshalJSON writes a plain edge as a [from, to] pair and an edge with a data
// size as an object.
func (e Edge) MarshalJSON() ([]byte, error) {
	if e.DataMB == nil {
		return json.Marshal([2]string{e.From, e.To})
	}
	return json.Marshal(struct {
		From   string  `json:"from"`
		To     string  `json:"to"`
		DataMB float64 `json:"data_mb"`
	}{e.From, e.To, *e.DataMB})
}

// UnmarshalJSON reads either form.
func (e *Edge) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var pair []string
		if err := json.Unmarshal(b, &pair); err != nil {
			return fmt.Errorf("edge %s: want [from, to] with two function names", b)
		}
		if len(pair) != 2 {
			return fmt.Errorf("edge %s: want [from, to], got %d names", b, len(pair))
		}
		e.From, e.To, e.DataMB = pair[0], pair[1], nil
		return nil
	}
	var obj struct {
		From   string   `json:"from"`
		To     string   `json:"to"`
		DataMB *float64 `json:"data_mb"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&obj); err != nil {
		return fmt.Errorf("edge %s: want [from, to] or {from, to, data_mb}: %v", b, err)
	}
	e.From, e.To, e.DataMB = obj.From, obj.To, obj.DataMB
	return nil
}

// Parse reads a spec from YAML or JSON without validating it. Unknown fields
// are errors: a typo must not silently fall back to a default.
func Parse(data []byte) (*Spec, error) {
	js, err := yamljson.ToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	var s Spec
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	return &s, nil
}

// JSON returns the spec as indented JSON, which Parse reads back.
func (s *Spec) JSON() []byte {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic(err) // plain fields only
	}
	return append(b, '\n')
}

// FunctionNames lists the functions in spec order.
func (s *Spec) FunctionNames() []string {
	out := make([]string, len(s.Functions))
	for i, f := range s.Functions {
		out[i] = f.Name
	}
	return out
}
