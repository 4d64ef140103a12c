package model

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/fnmodel"
	"github.com/confignav/confignav/platform"
)

var update = flag.Bool("update", false, "retrain results/reference/model.json with the defaults")

// referencePath is the committed model, relative to this package.
var referencePath = filepath.Join("..", "..", "results", "reference", "model.json")

// small is a quickly trained model shared by the tests: 40 functions, 100
// samples, at most 30 epochs.
var small struct {
	once sync.Once
	ds   *Dataset
	m    *Model
	err  error
}

func smallOpts() TrainOptions {
	o := DefaultTrainOptions()
	o.MaxEpochs, o.Patience = 30, 10
	return o
}

func smallModel(t testing.TB) (*Dataset, *Model) {
	t.Helper()
	small.once.Do(func() {
		small.ds, small.err = Measure(context.Background(), platform.Default(), Synthesize(40, 7), 100, 7)
		if small.err == nil {
			small.m, small.err = Train(small.ds, smallOpts())
		}
	})
	if small.err != nil {
		t.Fatal(small.err)
	}
	return small.ds, small.m
}

func saved(t testing.TB, m *Model) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := m.Save(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestFeatureVectorRejectsNaN(t *testing.T) {
	ds, _ := smallModel(t)
	good := ds.Functions[0].Features
	if _, err := FeatureVector(good); err != nil {
		t.Fatalf("measured features rejected: %v", err)
	}
	for _, name := range FeatureNames() {
		f := good
		setFeature(&f, name, math.NaN())
		_, err := FeatureVector(f)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("NaN %s: error %v does not name it", name, err)
		}
		setFeature(&f, name, math.Inf(1))
		if _, err := FeatureVector(f); err == nil {
			t.Errorf("infinite %s accepted", name)
		}
		setFeature(&f, name, -1)
		if _, err := FeatureVector(f); err == nil {
			t.Errorf("negative %s accepted", name)
		}
	}
}

// setFeature sets the feature of the given JSON name.
func setFeature(f *backend.Features, name string, v float64) {
	ptr := map[string]*float64{
		"instructions": &f.Instructions, "branches": &f.Branches, "context_switches": &f.ContextSwitches,
		"heap_bytes": &f.HeapBytes, "stack_bytes": &f.StackBytes, "alloc_count": &f.AllocCount,
		"alloc_bytes": &f.AllocBytes, "peak_memory_bytes": &f.PeakMemoryBytes, "bytes_sent": &f.BytesSent,
		"bytes_received": &f.BytesReceived, "packets_sent": &f.PacketsSent, "packets_received": &f.PacketsReceived,
		"io_bytes": &f.IOBytes, "io_bytes_per_second": &f.IOThroughput, "wall_seconds": &f.WallSeconds,
		"threads": &f.Threads,
	}[name]
	*ptr = v
}

func TestPredictErrors(t *testing.T) {
	ds, m := smallModel(t)
	f := ds.Functions[0].Features
	if _, err := (&Model{}).Predict(f, 1024); !errors.Is(err, ErrUntrained) {
		t.Errorf("zero model: %v, want ErrUntrained", err)
	}
	var nilModel *Model
	if _, err := nilModel.Predict(f, 1024); !errors.Is(err, ErrUntrained) {
		t.Errorf("nil model: %v, want ErrUntrained", err)
	}
	if _, err := m.Predict(f, 8192); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("8192 MB: %v", err)
	}
	bad := f
	bad.Branches = math.NaN()
	if _, err := m.Predict(bad, 1024); err == nil || !strings.Contains(err.Error(), "branches") {
		t.Errorf("NaN branches: %v", err)
	}
	big := f
	big.PeakMemoryBytes = 3000 * (1 << 20)
	if _, err := m.Predict(big, 2048); !errors.Is(err, ErrOutOfMemory) {
		t.Errorf("peak 3000 MB at 2048 MB: %v, want ErrOutOfMemory", err)
	}
	if d, err := m.Predict(big, 4096); err != nil || !(d.MeanMs > 0) {
		t.Errorf("peak 3000 MB at 4096 MB: %v, %v", d, err)
	}
	// Inputs far outside anything trained on overflow the exponential: the
	// error is reported, the infinity never returned.
	huge := f
	huge.Instructions, huge.WallSeconds = 1e300, 1e300
	if d, err := m.Predict(huge, 1024); !errors.Is(err, ErrNonFinite) {
		t.Errorf("absurd features: %v, %v, want ErrNonFinite", d, err)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	ds, m := smallModel(t)
	data := saved(t, m)
	m2, err := Load(bytes.NewReader(data), platform.Default())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(saved(t, m2), data) {
		t.Error("saving the loaded model changes the bytes")
	}
	for _, fn := range ds.Functions[:10] {
		for _, mb := range []int{128, 640, 1769, 4096} {
			a, errA := m.Predict(fn.Features, mb)
			b, errB := m2.Predict(fn.Features, mb)
			if (errA == nil) != (errB == nil) || a.MeanMs != b.MeanMs || a.P95Ms != b.P95Ms || a.VarMs2 != b.VarMs2 {
				t.Fatalf("%s at %d MB: %v (%v) before, %v (%v) after", fn.Name, mb, a, errA, b, errB)
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	_, m := smallModel(t)
	data := saved(t, m)
	other := platform.Default()
	other.Noise.Sigma = 0.1
	if _, err := Load(bytes.NewReader(data), other); !errors.Is(err, ErrPlatform) {
		t.Errorf("other platform: %v, want ErrPlatform", err)
	}
	if _, err := Load(bytes.NewReader(data), nil); err == nil {
		t.Error("nil platform: no error")
	}
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrFormat},
		{"not json", []byte("hello"), ErrFormat},
		{"truncated", data[:len(data)/2], ErrFormat},
		{"other format", []byte(`{"format": "x", "version": 1}`), ErrFormat},
		{"wrong version", bytes.Replace(data, []byte(`"version": 1,`), []byte(`"version": 99,`), 1), ErrVersion},
		{"untrained", []byte(`{"format": "confignav-prediction-model", "version": 1, "sha256": "", "model": null}`), ErrUntrained},
		{"flipped digit", flipDigit(data), ErrFormat},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Load(bytes.NewReader(c.data), platform.Default()); !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
	if err := (&Model{}).Save(&bytes.Buffer{}); !errors.Is(err, ErrUntrained) {
		t.Errorf("save of a zero model: %v", err)
	}
}

// flipDigit changes one digit deep inside the payload (a weight).
func flipDigit(data []byte) []byte {
	out := bytes.Clone(data)
	for i := len(out) * 2 / 3; i < len(out); i++ {
		if out[i] >= '1' && out[i] <= '8' {
			out[i]++
			return out
		}
	}
	panic("no digit")
}

func TestTrainDeterministic(t *testing.T) {
	ds, m := smallModel(t)
	m2, err := Train(ds, smallOpts())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(saved(t, m), saved(t, m2)) {
		t.Fatal("same dataset and seed, different model bytes")
	}
	o := smallOpts()
	o.Seed = 2
	m3, err := Train(ds, o)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(saved(t, m), saved(t, m3)) {
		t.Fatal("another seed gave the same model")
	}
}

func TestMeasureDeterministic(t *testing.T) {
	fns := Synthesize(6, 3)
	a, err := Measure(context.Background(), platform.Default(), fns, 20, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Measure(context.Background(), platform.Default(), fns[:3], 20, 3)
	for i := range b.Functions {
		// A function's measurement does not depend on the others measured.
		if a.Functions[i].Points[5] != b.Functions[i].Points[5] || a.Functions[i].Features.Instructions != b.Functions[i].Features.Instructions {
			t.Fatalf("%s differs when measured in another set", a.Functions[i].Name)
		}
	}
}

func TestSplitIsByFunction(t *testing.T) {
	ds, m := smallModel(t)
	info := m.Info()
	if got, want := len(info.ValidationFunctions), 8; got != want { // 20 % of 40
		t.Errorf("%d validation functions, want %d", got, want)
	}
	if info.TrainFunctions+info.StopFunctions+len(info.ValidationFunctions) != len(ds.Functions) {
		t.Errorf("split %d + %d + %d does not add up to %d", info.TrainFunctions, info.StopFunctions, len(info.ValidationFunctions), len(ds.Functions))
	}
	r := Evaluate(m, ds, []string{ds.Functions[0].Name, "no-such-function"})
	if r.ValidationFunctions != 8 || r.Failed != 0 {
		t.Errorf("evaluated %d validation functions, %d failures", r.ValidationFunctions, r.Failed)
	}
	if !r.Functions[1].Missing {
		t.Error("unknown function not marked missing")
	}
	for i, n := range r.Validation.N {
		if n > 0 && (math.IsNaN(r.Validation.Mean[i]) || r.Validation.Mean[i] < 0) {
			t.Errorf("%d MB: mean error %v", r.MemoryMB[i], r.Validation.Mean[i])
		}
	}
}

func TestSyntheticExcludesBuiltins(t *testing.T) {
	syn := Synthesize(DefaultFunctions, 1)
	for _, name := range fnmodel.BuiltinNames() {
		b, _ := fnmodel.Builtin(name)
		for i, p := range syn {
			if p.CPUMs == b.CPUMs || p.WorkingSetMB == b.WorkingSetMB {
				t.Errorf("synthetic function %d shares a basic operation with %s: %+v", i, name, p)
			}
		}
	}
	for i, p := range syn {
		if err := p.Validate(); err != nil {
			t.Errorf("synthetic function %d: %v", i, err)
		}
	}
}

func TestMeasurePipelineFunctionWithoutProfile(t *testing.T) {
	_, err := MeasureFunctions(context.Background(), platform.Default(), []Function{{Name: "x"}}, 10, 1)
	if err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("function without a profile: %v", err)
	}
}

// TestReferenceModel checks the committed model loads on the default
// platform and predicts finite values for every pipeline function. With
// -update it retrains it with the defaults first (cnav model train does the
// same).
func TestReferenceModel(t *testing.T) {
	plat := platform.Default()
	if *update {
		ds, err := Measure(context.Background(), plat, Synthesize(DefaultFunctions, 1), DefaultSamples, 1)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Train(ds, DefaultTrainOptions())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(referencePath, saved(t, m), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(referencePath)
	if err != nil {
		t.Fatalf("%v (run go test -run TestReferenceModel -update to create it)", err)
	}
	defer f.Close()
	m, err := Load(f, plat)
	if err != nil {
		t.Fatal(err)
	}
	var fns []Function
	for _, name := range fnmodel.BuiltinNames() {
		p, _ := fnmodel.Builtin(name)
		fns = append(fns, Function{name, p})
	}
	ds, err := MeasureFunctions(context.Background(), plat, fns, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range ds.Functions {
		for _, mb := range plat.Grid() {
			d, err := m.Predict(fn.Features, mb)
			if errors.Is(err, ErrOutOfMemory) {
				continue
			}
			if err != nil {
				t.Fatalf("%s at %d MB: %v", fn.Name, mb, err)
			}
			for _, v := range []float64{d.MeanMs, d.P95Ms, d.VarMs2, d.Quantile(0.5), d.Quantile(0.99)} {
				if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
					t.Fatalf("%s at %d MB: %v", fn.Name, mb, d)
				}
			}
		}
	}
}
