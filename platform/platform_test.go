package platform

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultIsValidAndRoundTrips(t *testing.T) {
	p := Default()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	back, err := Parse(p.JSON())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.JSON(), p.JSON()) {
		t.Fatal("platform show output does not read back to the same profile")
	}
	if g := p.Grid(); len(g) != 32 || g[0] != 128 || g[31] != 4096 {
		t.Fatalf("grid %v, want the paper's 32 sizes 128..4096", g)
	}
}

func TestParseOverridesOneKnob(t *testing.T) {
	p, err := Parse([]byte("keep_alive_s: 300\nprice: {billed_init: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.KeepAliveS != 300 || !p.Price.BilledInit || p.Price.X86PerGBSecond != Default().Price.X86PerGBSecond {
		t.Fatalf("override: keep-alive %v billed init %v price %v", p.KeepAliveS, p.Price.BilledInit, p.Price.X86PerGBSecond)
	}
}

func TestBadProfiles(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"keep_alive_s: -1", "keep_alive_s = -1"},
		{"arch: sparc", `arch "sparc"`},
		{"memory: {min_mb: 128, max_mb: 100}", "memory range"},
		{"cpu: {mb_per_vcpu: .nan}", "not a finite number"},
		{"noise: {interference_prob: 2}", "noise.interference_prob = 2"},
		{"network: {bandwidth_mib_per_s: [{mb: 512, value: 1}, {mb: 256, value: 2}]}", "memory must increase"},
		{"keep_alive: 5", "unknown field"},
		{"version: 7", "version 7"},
	} {
		_, err := Parse([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestCPUAndBandwidth(t *testing.T) {
	p := Default()
	if p.VCPU(1769) != 1 || p.VCPU(10240) != 10240/1769.0 || p.VCPU(20000) != 6 {
		t.Fatalf("vcpu: %v %v %v", p.VCPU(1769), p.VCPU(10240), p.VCPU(20000))
	}
	// Per-stream S3 bandwidth: 75 MiB/s at every size (DefaultSources).
	for _, mb := range []int{128, 1024, 10240} {
		if bw := p.BandwidthBytesPerUs(mb) * 1e6 / (1 << 20); math.Abs(bw-75) > 1e-9 {
			t.Fatalf("bandwidth at %d MB: %v MiB/s", mb, bw)
		}
	}
	// Visible cores step at the published boundaries.
	for mb, want := range map[int]int{128: 2, 3008: 2, 3009: 3, 5307: 3, 5308: 4, 7077: 5, 8846: 6, 10240: 6} {
		if got := p.VisibleCores(mb); got != want {
			t.Errorf("visible cores at %d MB: %d, want %d", mb, got, want)
		}
	}
	if err := p.CheckMemory(127); err == nil || !strings.Contains(err.Error(), "128–10240 MB") {
		t.Fatalf("memory check: %v", err)
	}
}

func TestFamily(t *testing.T) {
	for in, want := range map[string]string{
		"python3.12": "python", "go (prov.al2023)": "go", "java8.al2": "java", "nodejs22.x": "nodejs",
		"dotnet8 aot (prov.al2023)": "dotnet-aot", "c++ 11 (prov.al2)": "cpp", "apple swift 6.2 (prov.al2)": "swift",
	} {
		if got := Family(in); got != want {
			t.Errorf("Family(%q) = %q, want %q", in, got, want)
		}
	}
}

// The default cold-start table is Calibrate's output on the shared lambda-perf
// file; re-fitting must give the same numbers.
func TestDefaultRuntimesMatchData(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "data", "lambda-perf", "init-durations-2026-08-22.json")
	data, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CONFIGNAV_REQUIRE_DATA") != "" {
			t.Fatal(err)
		}
		t.Skipf("lambda-perf data not found beside the repository (%v); set CONFIGNAV_REQUIRE_DATA=1 to require it", err)
	}
	fit, err := Calibrate(data)
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultRuntimes()
	if len(fit) != len(def) {
		t.Fatalf("fitted %d families, defaults have %d", len(fit), len(def))
	}
	for fam, want := range fit {
		if got := def[fam]; got != want {
			t.Errorf("%s: default %+v, data gives %+v", fam, got, want)
		}
	}
	// DESIGN.md §3's medians: Go ~50 ms, Python ~85 ms, Node ~140 ms, Java ~240 ms.
	for fam, approx := range map[string]float64{"go": 50, "python": 85, "nodejs": 140, "java": 240} {
		if m := fit[fam].MedianMs; math.Abs(m-approx)/approx > 0.15 {
			t.Errorf("%s median %v ms, DESIGN.md says ~%v", fam, m, approx)
		}
	}
}

func TestCalibrateBadInput(t *testing.T) {
	for _, in := range []string{``, `{}`, `{"runtimeData": [{"d": "go", "p": "zip", "i": [-1]}]}`} {
		if _, err := Calibrate([]byte(in)); err == nil {
			t.Errorf("Calibrate(%q) accepted bad input", in)
		}
	}
}

func TestNamedProfiles(t *testing.T) {
	d, ok := Named("aws-lambda")
	if !ok || !d.Price.BilledInit {
		t.Fatalf("aws-lambda: %v, billed init %v; want today's rule (INIT billed)", ok, d != nil && d.Price.BilledInit)
	}
	p, ok := Named("paper-2025")
	if !ok || p.Price.BilledInit || p.Name != "paper-2025" {
		t.Fatalf("paper-2025: %v %+v; want INIT not billed", ok, p)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, ok := Named("nonsense"); ok {
		t.Fatal("an unknown name resolved")
	}
	for _, knob := range []string{"cpu.visible_cores", "price.billed_init", "network.request_latency_ms", "network.bandwidth_mib_per_s", "orchestration"} {
		if d.Sources[knob] == "" {
			t.Errorf("no source for %s", knob)
		}
	}
}
