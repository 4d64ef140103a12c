package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/bo"
	"github.com/confignav/confignav/internal/atomicfile"
	"github.com/confignav/confignav/navigator"
	"github.com/confignav/confignav/oracle"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/sim"
	"github.com/confignav/confignav/video"
)

// benchmark is one performance target, run in process with testing.Benchmark
// and printed in Go benchmark format (for benchstat).
type benchmark struct {
	name string
	f    func(b *testing.B)
}

func benchmarks() []benchmark {
	return []benchmark{
		{"Engine/pipeline=face-detection/records=off", benchEngine("face-detection", false)},
		{"Engine/pipeline=autoclip/records=sink", benchEngine("autoclip", true)},
		{"Exhaustive/functions=4/grid=32", benchExhaustive},
		{"GPFitAndEI/n=70/d=8", benchGP},
		{"NavigatorSearch/pipeline=autoclip", benchSearch},
		{"NavigatorResearch/pipeline=face-beautification", benchResearch},
	}
}

// defaultBenchBaseline is the committed baseline cnav bench compares with.
var defaultBenchBaseline = filepath.Join("results", "reference", "bench.txt")

func runBench(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	filter := fs.String("run", ".", "regular expression selecting benchmarks")
	count := fs.Int("count", 1, "run each benchmark this many times (4 or more for a significance test against the baseline)")
	against := fs.String("against", defaultBenchBaseline, "baseline in Go benchmark format to compare with (\"\": none)")
	out := fs.String("out", "", "also write the results to FILE in Go benchmark format (a new baseline: --count 5 --out "+defaultBenchBaseline+")")
	maxRatio := fs.Float64("max-ratio", 0, "fail when the geometric mean of now/baseline over sec/op exceeds this (0: report only)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	re, err := regexp.Compile(*filter)
	if err != nil {
		return usagef("bench: --run: %v", err)
	}
	if *count < 1 || *count > 100 {
		return usagef("bench: --count %d: want 1 to 100", *count)
	}
	var base *benchSamples
	if *against != "" && *against != *out {
		f, err := os.Open(*against)
		switch {
		case err != nil && *against == defaultBenchBaseline && errors.Is(err, os.ErrNotExist):
			fmt.Fprintf(stderr, "bench: no baseline at %s (run from the repository root to compare with it)\n", *against)
		case err != nil:
			return fmt.Errorf("bench: --against: %w", err)
		default:
			base, err = readBenchSamples(f, *against)
			f.Close()
			if err != nil {
				return err
			}
		}
	}
	var raw bytes.Buffer
	w := io.MultiWriter(stdout, &raw)
	fmt.Fprintf(w, "goos: %s\ngoarch: %s\npkg: github.com/confignav/confignav/cmd/cnav\n", runtime.GOOS, runtime.GOARCH)
	if cpu := cpuName(); cpu != "" {
		fmt.Fprintf(w, "cpu: %s\n", cpu)
	}
	for _, bm := range benchmarks() {
		if !re.MatchString(bm.name) {
			continue
		}
		for i := 0; i < *count; i++ {
			benchErr = nil
			r := testing.Benchmark(bm.f)
			if benchErr != nil || r.N == 0 {
				return fmt.Errorf("bench: %s: %v", bm.name, benchErr)
			}
			fmt.Fprintf(w, "Benchmark%s-%d\t%s\n", bm.name, runtime.GOMAXPROCS(0), r.String())
		}
	}
	if *out != "" {
		if err := atomicfile.WriteFile(*out, raw.Bytes()); err != nil {
			return err
		}
	}
	if base == nil {
		return nil
	}
	now, err := readBenchSamples(bytes.NewReader(raw.Bytes()), "now")
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	geo := compareBench(stdout, base, now, *against, re.MatchString)
	if *maxRatio > 0 && geo > *maxRatio {
		return fmt.Errorf("bench: geometric mean of now/baseline over sec/op is %.3f, above --max-ratio %g", geo, *maxRatio)
	}
	return nil
}

// cpuName is the processor's model name (Linux), as go test prints it.
func cpuName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// benchErr carries a benchmark's failure out of testing.Benchmark, where
// b.Fatal cannot be used outside a test binary.
var benchErr error

// fail records err and stops the benchmark.
func fail(b *testing.B, err error) {
	benchErr = err
	b.SkipNow()
}

type counter struct{ n int }

func (c *counter) Record(*backend.Record) { c.n++ }

func benchEngine(name string, records bool) func(b *testing.B) {
	return func(b *testing.B) {
		dag, err := pipeline.Load(name)
		if err != nil {
			fail(b, err)
		}
		s, _ := sim.New(platform.Default(), dag, 1)
		cfg := backend.Config{}
		for _, n := range dag.Names() {
			cfg[n] = 2048
		}
		s.Apply(context.Background(), cfg)
		var sink backend.Sink = backend.Discard
		if records {
			sink = &counter{}
		}
		b.ResetTimer()
		st, err := s.Run(context.Background(), backend.Workload{Source: &nRequests{left: b.N, src: newPoissonSource(30, 1)}}, sink)
		if err != nil {
			fail(b, err)
		}
		b.ReportMetric(float64(st.Events)/b.Elapsed().Seconds(), "events/s")
	}
}

// nRequests stops a source after a number of requests.
type nRequests struct {
	left int
	src  backend.Source
}

func (n *nRequests) Next(r *backend.Request) bool {
	if n.left <= 0 {
		return false
	}
	n.left--
	return n.src.Next(r)
}

func benchExhaustive(b *testing.B) {
	dag, _ := pipeline.Load("face-detection")
	p := platform.Default()
	s, _ := sim.New(p, dag, 1)
	o, err := oracle.New(s, p.Grid(), []video.Input{video.Reference}, 256, 1)
	if err != nil {
		fail(b, err)
	}
	cmin, _, _ := o.CMin()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := o.Exhaustive(context.Background(), 1.3*cmin, 0); err != nil {
			fail(b, err)
		}
	}
}

func benchGP(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	X := bo.UniformPoints(70, 8, rng)
	y := make([]float64, len(X))
	for i, x := range X {
		for _, v := range x {
			y[i] += (v - 0.3) * (v - 0.3)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g := bo.NewGP(bo.NewMatern52(8, 0.3, 1))
		if err := g.Fit(X, y, bo.DefaultFitOptions()); err != nil {
			fail(b, err)
		}
		if _, _, err := bo.MaximizeEI(g, 0, 0.01, bo.DefaultAcqOptions(), rng); err != nil {
			fail(b, err)
		}
	}
}

// benchSearch is ConfigNavigator's search compute on autoclip from node
// models (the target: under 1 s).
func benchSearch(b *testing.B) {
	dag, _ := pipeline.Load("autoclip")
	p := platform.Default()
	s, _ := sim.New(p, dag, 1)
	o, err := oracle.New(s, p.Grid(), []video.Input{video.Reference}, 256, 1)
	if err != nil {
		fail(b, err)
	}
	nodes := make([]navigator.NodeModel, len(dag.Nodes))
	for i := range nodes {
		nodes[i].Samples = make([][]float64, len(p.Grid()))
		nodes[i].Cost = make([]float64, len(p.Grid()))
		for g := range p.Grid() {
			xs, c := o.NodeTimes(i, g)
			for j := range xs {
				if math.IsNaN(xs[j]) {
					xs[j] = math.Inf(1)
				}
			}
			nodes[i].Samples[g], nodes[i].Cost[g] = xs, c
		}
	}
	cmin, _, _ := o.CMin()
	part := navigator.NewPartition(dag)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := navigator.Search(context.Background(), part, nodes, 1.3*cmin, navigator.Options{Seed: 1}, navigator.NewStore()); err != nil {
			fail(b, err)
		}
	}
}

// benchResearch is the re-plan after a structure change (faces 2 → 4) that
// the paper puts under 100 ms; it tunes once with the committed model first.
func benchResearch(b *testing.B) {
	n, err := researchNavigator()
	if err != nil {
		fail(b, err)
		return
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := n.Research(context.Background(), map[string]float64{"beautify": float64(1 + i%5)}); err != nil {
			fail(b, err)
		}
	}
}

// researchTuned is the navigator benchResearch re-plans with, tuned once per
// process: testing.Benchmark calls the benchmark several times (b.N = 1, 100,
// …), and a tune in each call made cnav bench --count 5 take many minutes.
var researchTuned struct {
	once sync.Once
	n    *navigator.Navigator
	err  error
}

func researchNavigator() (*navigator.Navigator, error) {
	researchTuned.once.Do(func() {
		plat := platform.Default()
		pred, err := loadPredictor("", plat)
		if err != nil {
			researchTuned.err = err
			return
		}
		dag, _ := pipeline.Load("face-beautification")
		prob, _, err := newProblem(plat, dag, 7, 0.5, 1, 30*time.Second, -1, 64, nil, 0)
		if err != nil {
			researchTuned.err = err
			return
		}
		n := &navigator.Navigator{Predictor: pred}
		if _, err := n.Tune(context.Background(), prob); err != nil {
			researchTuned.err = err
			return
		}
		researchTuned.n = n
	})
	return researchTuned.n, researchTuned.err
}
