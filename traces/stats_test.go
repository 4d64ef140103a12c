package traces

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update and review the diff):\n%s", path, got)
	}
}

func TestStatsGolden(t *testing.T) {
	for name, load := range map[string]func() (*Trace, error){
		"stats-azure2019-500fn": func() (*Trace, error) { return LoadAzure2019(data2019(t, "invocations-500fn-min480-959.csv")) },
		"stats-azure2021":       func() (*Trace, error) { return LoadAzure2021(data2021(t)) },
		"stats-synthetic": func() (*Trace, error) {
			p := DefaultSynthParams()
			p.Functions, p.Minutes = 200, 600
			return Synthesize(p, 1)
		},
	} {
		t.Run(name, func(t *testing.T) {
			tr, err := load()
			if err != nil {
				t.Fatal(err)
			}
			s := tr.Stats()
			var text bytes.Buffer
			if err := s.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			// Text only: it rounds to four digits, where JSON's full
			// precision would tie the golden file to one architecture's
			// floating point.
			golden(t, name+".txt", text.Bytes())
			js, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(js, &m); err != nil {
				t.Fatal(err)
			}
			// The JSON fields the command-line contract names.
			if m["functions"] != float64(s.Functions) || m["invocations"] != float64(s.Invocations) || m["minutes"] != float64(s.Minutes) {
				t.Errorf("JSON %s", js)
			}
			if _, ok := m["triggers"].(map[string]any); !ok {
				t.Errorf("JSON has no triggers map: %s", js)
			}
		})
	}
}
