package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const benchBase = `goos: linux
goarch: amd64
pkg: github.com/confignav/confignav/cmd/cnav
BenchmarkEngine/pipeline=face-detection/records=off-2	100	1000000 ns/op	3000000 events/s
BenchmarkEngine/pipeline=face-detection/records=off-2	100	1010000 ns/op	2990000 events/s
BenchmarkEngine/pipeline=face-detection/records=off-2	100	990000 ns/op	3010000 events/s
BenchmarkEngine/pipeline=face-detection/records=off-2	100	1000000 ns/op	3000000 events/s
BenchmarkGPFitAndEI/n=70/d=8-2	10	50000000 ns/op
BenchmarkGone-2	10	1 ns/op
`

// The engine got twice as slow (4 samples a side: significant, too few
// for a 95 % interval of the median, which needs 6), the GP
// benchmark ran once (too few samples to tell), a new benchmark has no
// baseline and one of the baseline's did not run. GOMAXPROCS differs.
const benchNow = `goos: linux
goarch: amd64
BenchmarkEngine/pipeline=face-detection/records=off-4	100	2000000 ns/op	1500000 events/s
BenchmarkEngine/pipeline=face-detection/records=off-4	100	2020000 ns/op	1490000 events/s
BenchmarkEngine/pipeline=face-detection/records=off-4	100	1980000 ns/op	1510000 events/s
BenchmarkEngine/pipeline=face-detection/records=off-4	100	2000000 ns/op	1500000 events/s
BenchmarkGPFitAndEI/n=70/d=8-4	10	45000000 ns/op
BenchmarkNew-4	10	5 ns/op
`

func TestCompareBench(t *testing.T) {
	base, err := readBenchSamples(strings.NewReader(benchBase), "bench.txt")
	if err != nil {
		t.Fatal(err)
	}
	now, err := readBenchSamples(strings.NewReader(benchNow), "now")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	geo := compareBench(&b, base, now, "bench.txt", nil)
	out := b.String()
	for _, want := range []string{
		`(?m)^Engine/pipeline=face-detection/records=off +sec/op +1\.000m ± ∞ +2\.000m ± ∞ +2\.000 +worse \(p=0\.029 n=4\)$`,
		`(?m)^Engine/pipeline=face-detection/records=off +events/s +3\.000M ± ∞ +1\.500M ± ∞ +0\.500 +worse \(p=0\.029 n=4\)$`,
		`(?m)^GPFitAndEI/n=70/d=8 +sec/op +50\.00m ± ∞ +45\.00m ± ∞ +0\.900 +~ \(p=1\.000 n=1\)$`,
		`(?m)^geomean +sec/op +1\.342 *$`,
		"New sec/op is not in the baseline",
		"Gone sec/op of the baseline did not run",
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("comparison lacks %s:\n%s", want, out)
		}
	}
	if geo < 1.341 || geo > 1.343 { // sqrt(2 × 0.9)
		t.Errorf("geomean %g, want √1.8", geo)
	}
	// A benchmark left out by --run is not reported as not run.
	b.Reset()
	compareBench(&b, base, now, "bench.txt", regexp.MustCompile("Engine|GPFit").MatchString)
	if strings.Contains(b.String(), "Gone") {
		t.Errorf("a benchmark --run left out is reported:\n%s", b.String())
	}
	if _, err := readBenchSamples(strings.NewReader("BenchmarkX-2\t10\tfast ns/op\n"), "bad.txt"); err == nil || !strings.Contains(err.Error(), "bad.txt:1") {
		t.Errorf("a bad line: %v, want a syntax error naming bad.txt:1", err)
	}
}

// TestBenchAgainstBaseline: cnav bench compares with a baseline file, writes
// its results with --out, and fails over --max-ratio.
func TestBenchAgainstBaseline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a benchmark")
	}
	dir := t.TempDir()
	baseline := filepath.Join(dir, "base.txt")
	// A baseline a thousand times faster than any machine.
	if err := os.WriteFile(baseline, []byte("BenchmarkGPFitAndEI/n=70/d=8-2\t1\t1 ns/op\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := cnav(t, "bench", "--run", "GPFit", "--against", baseline, "--out", filepath.Join(dir, "now.txt"), "--max-ratio", "1000")
	if err == nil || !strings.Contains(err.Error(), "above --max-ratio 1000") {
		t.Fatalf("err %v, want the ratio over --max-ratio:\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^GPFitAndEI/n=70/d=8 +sec/op +1\.000n ± ∞ +`).MatchString(out) {
		t.Errorf("no comparison line:\n%s", out)
	}
	written, err := os.ReadFile(filepath.Join(dir, "now.txt"))
	if err != nil || !strings.Contains(string(written), "BenchmarkGPFitAndEI/n=70/d=8-") {
		t.Errorf("--out: %v %q", err, written)
	}
}
