package measure

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confignav/confignav/fnmodel"
	"github.com/confignav/confignav/navigator/model"
	"github.com/confignav/confignav/platform"
)

var referenceDir = filepath.Join("..", "results", "reference", "measured")

// TestPlatformOfCommittedTables: the committed tables were measured on a
// 2-CPU machine, capped from 3,584 MB; their platform grants at most 2 vCPUs
// and 2 cores, and is the default profile everywhere else.
func TestPlatformOfCommittedTables(t *testing.T) {
	base := platform.Default()
	p, err := Platform(referenceDir, base)
	if err != nil {
		t.Fatal(err)
	}
	if p.CPU.MaxVCPU != 2 {
		t.Errorf("max vCPU %v, want 2", p.CPU.MaxVCPU)
	}
	for _, mb := range []int{128, 1769, 3008, 3584, 4096, 10240} {
		if got, want := p.VCPU(mb), min(base.VCPU(mb), 2); got != want {
			t.Errorf("%d MB: %v vCPU, want %v", mb, got, want)
		}
		if got := p.VisibleCores(mb); got != 2 {
			t.Errorf("%d MB: %d visible cores, want 2", mb, got)
		}
	}
	if !strings.Contains(p.Name, "measured-2cpu") || !strings.Contains(p.Sources["cpu.max_vcpu"], "2 CPUs") {
		t.Errorf("name %q, source %q: want them to say where the cap comes from", p.Name, p.Sources["cpu.max_vcpu"])
	}
	p.Name, p.CPU, p.Sources = base.Name, base.CPU, base.Sources
	if !bytes.Equal(p.JSON(), base.JSON()) {
		t.Error("the measured platform differs from the default profile beyond its CPU")
	}
	if base.CPU.MaxVCPU != 6 || base.VisibleCores(4096) != 3 {
		t.Error("Platform changed its base profile")
	}
}

// writeCapped writes a one-row table measured on a machine of cpus CPUs,
// capped at them.
func writeCapped(t *testing.T, dir, fn string, cpus int, capped bool) {
	t.Helper()
	tb := &Table{Function: fn, Machine: Machine{CPUModel: "test", CPUs: cpus},
		Table:   fnmodel.Table{Runtime: "go", Rows: []fnmodel.Row{{MemoryMB: 4096, SamplesMs: []float64{10}}}},
		Details: []RowDetail{{MemoryMB: 4096, Status: "ok", Limits: Limits{VCPU: 4096 / MBPerVCPU, CPUs: float64(cpus), Capped: capped}}}}
	if err := WriteJSON(tb, filepath.Join(dir, fn+".json")); err != nil {
		t.Fatal(err)
	}
}

func TestPlatformUncappedAndMixedMachines(t *testing.T) {
	base := platform.Default()
	dir := t.TempDir()
	writeCapped(t, dir, "a", 8, false)
	p, err := Platform(dir, base)
	if err != nil {
		t.Fatal(err)
	}
	if model.Fingerprint(p) != model.Fingerprint(base) {
		t.Error("tables without a capped row changed the profile")
	}
	writeCapped(t, dir, "b", 2, true)
	writeCapped(t, dir, "c", 3, true)
	_, err = Platform(dir, base)
	if err == nil || !strings.Contains(err.Error(), "b.json") || !strings.Contains(err.Error(), "c.json") {
		t.Errorf("tables capped at 2 and 3 CPUs: %v, want an error naming both", err)
	}
	if _, err := Platform(filepath.Join(dir, "missing"), base); err != nil {
		t.Errorf("an empty directory: %v (LoadDir reports it)", err)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "x.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Platform(bad, base); err == nil || !strings.Contains(err.Error(), "x.json") {
		t.Errorf("a malformed table: %v, want an error naming it", err)
	}
}

// TestReferenceMeasuredModel: the committed model for the measured platform
// (cnav model train --platform measured:results/reference/measured --out
// results/reference/model-measured.json) loads on that platform and no
// other.
func TestReferenceMeasuredModel(t *testing.T) {
	p, err := Platform(referenceDir, platform.Default())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "results", "reference", "model-measured.json")
	if _, err := model.LoadFile(path, p); err != nil {
		t.Fatalf("%v (retrain: cnav model train --platform measured:results/reference/measured --out results/reference/model-measured.json)", err)
	}
	if _, err := model.LoadFile(path, platform.Default()); err == nil {
		t.Error("the measured platform's model loads on the default profile")
	}
}
