package yamljson

import (
	"strings"
	"testing"
)

func TestToJSON(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"name: no\nn: [on, off, y]", `{"n":["on","off","y"],"name":"no"}`, ""},
		{`{"a": [1, 2.5, "x"]}`, `{"a":[1,2.5,"x"]}`, ""},
		{"a:\n  b: [1, .nan]", "", "a.b[1]: NaN is not a finite number"},
		{"a: [1, 2", "", "yaml"},
	} {
		got, err := ToJSON([]byte(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("%q: got %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}
