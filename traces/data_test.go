package traces

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// dataDir locates the shared real-data slices (../shared/data next to the
// repository, i.e. ../../shared/data from this package). A clean clone in CI
// may not have them: the test is skipped unless CONFIGNAV_REQUIRE_DATA=1.
func dataDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "data")
	if _, err := os.Stat(filepath.Join(dir, "azure2019")); err != nil {
		if os.Getenv("CONFIGNAV_REQUIRE_DATA") == "1" {
			t.Fatalf("real trace data not found at %s (CONFIGNAV_REQUIRE_DATA=1): %v", dir, err)
		}
		t.Skipf("real trace data not found at %s (expected ../shared/data beside the repository); set CONFIGNAV_REQUIRE_DATA=1 to make this a failure", dir)
	}
	return dir
}

func data2019(t testing.TB, name string) string {
	return filepath.Join(dataDir(t), "azure2019", name)
}

func data2021(t testing.TB) string {
	return filepath.Join(dataDir(t), "azure2021", "invocations-head199.csv")
}

// traceEqual compares traces by content (nil and empty slices are equal).
func traceEqual(a, b *Trace) bool {
	if a.Source != b.Source || a.Kind != b.Kind || a.FirstMinute != b.FirstMinute || a.Minutes != b.Minutes ||
		len(a.Functions) != len(b.Functions) || len(a.Calls) != len(b.Calls) || len(a.Origin) != len(b.Origin) {
		return false
	}
	for i := range a.Origin {
		if a.Origin[i] != b.Origin[i] {
			return false
		}
	}
	for i := range a.Calls {
		if a.Calls[i] != b.Calls[i] {
			return false
		}
	}
	for i := range a.Functions {
		f, g := a.Functions[i], b.Functions[i]
		if f.Owner != g.Owner || f.App != g.App || f.Name != g.Name || f.Trigger != g.Trigger ||
			f.Invocations != g.Invocations || !bytes.Equal(f.counts, g.counts) {
			return false
		}
		if (f.Duration == nil) != (g.Duration == nil) || (f.Duration != nil && *f.Duration != *g.Duration) {
			return false
		}
		if (f.Memory == nil) != (g.Memory == nil) || (f.Memory != nil && *f.Memory != *g.Memory) {
			return false
		}
	}
	return true
}

func osWriteFile(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }
