package yamljson

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ToJSON converts one YAML or JSON document to JSON.
func ToJSON(data []byte) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	v, err := normalise(v, "")
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// normalise turns YAML maps into JSON objects with string keys and rejects
// NaN and infinities, which JSON cannot hold, naming where they are.
func normalise(v any, path string) (any, error) {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%s: %v is not a finite number", strings.TrimPrefix(path, "."), x)
		}
	case map[string]any:
		for k, e := range x {
			n, err := normalise(e, path+"."+k)
			if err != nil {
				return nil, err
			}
			x[k] = n
		}
		return x, nil
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normalise(e, path+"."+fmt.Sprint(k))
			if err != nil {
				return nil, err
			}
			out[fmt.Sprint(k)] = n
		}
		return out, nil
	case []any:
		for i, e := range x {
			n, err := normalise(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			x[i] = n
		}
		return x, nil
	}
	return v, nil
}
