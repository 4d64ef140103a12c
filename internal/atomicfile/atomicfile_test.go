package atomicfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestSweep: a temporary file of a dead process (a killed simulate
// --records) is removed by the next write to its directory; a live
// process's, a young unnumbered one and files not ours stay.
func TestSweep(t *testing.T) {
	dir := t.TempDir()
	// A process that has exited: its pid is free (or reused, rarely).
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true(1):", err)
	}
	dead := cmd.Process.Pid
	files := map[string]bool{ // name → removed by the sweep
		".r.csv.tmp-" + hostID() + "-" + strconv.Itoa(dead) + "-123":         true,
		".r.csv.tmp-" + hostID() + "-" + strconv.Itoa(os.Getppid()) + "-456": false, // the test runner's parent lives
		".r.csv.tmp-0badc0de-" + strconv.Itoa(dead) + "-789":                 false, // another host's: young
		".old.csv.tmp-789":  true, // unnumbered, aged below
		".new.csv.tmp-1011": false,
		"keep.tmp-12-34":    false, // not hidden: not ours
		".notes.tmp-x":      false,
	}
	for name := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-48 * time.Hour)
	os.Chtimes(filepath.Join(dir, ".old.csv.tmp-789"), old, old)
	if err := WriteFile(filepath.Join(dir, "r.csv"), []byte("ok\n")); err != nil {
		t.Fatal(err)
	}
	for name, removed := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if gone := os.IsNotExist(err); gone != removed {
			t.Errorf("%s: removed %v, want %v", name, gone, removed)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "r.csv")); string(b) != "ok\n" {
		t.Errorf("target holds %q", b)
	}
	// A pending write of this process is never swept.
	f, err := Create(filepath.Join(dir, "p.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	if n := Sweep(dir, 0); n != 2 { // .new.csv.tmp-1011 and the other host's (maxAge 0)
		t.Errorf("Sweep removed %d files, want 2", n)
	}
	if _, err := os.Stat(f.Name()); err != nil {
		t.Errorf("own pending file swept: %v", err)
	}
}
