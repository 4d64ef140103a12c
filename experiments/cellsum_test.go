package experiments

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadCellsRecomputedAndRefused: a 0-byte, truncated, hand-edited or
// checksum-less cell file does not count as done: Execute computes it
// again, and Load (merge, report) refuses it with an error naming the file.
func TestBadCellsRecomputedAndRefused(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := Execute(context.Background(), tiny(dir)); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "cells", "fig3", "*.json"))
	if len(files) != 3 {
		t.Fatalf("%d cell files, want 3", len(files))
	}
	good, _ := os.ReadFile(files[0])
	if _, err := readCell(files[0]); err != nil {
		t.Fatalf("a fresh cell does not verify: %v", err)
	}
	edited := bytes.Replace(good, []byte(`"value":`), []byte(`"value":1e9,"old":`), 1)
	if bytes.Equal(edited, good) {
		t.Fatal("test cannot edit the cell")
	}
	noSum := bytes.Replace(good, []byte(`"checksum":"sha256:`), []byte(`"checksum_":"`), 1)
	for name, body := range map[string][]byte{
		"empty (0 bytes)":   {},
		"not a cell":        good[:len(good)/2],
		"checksum mismatch": edited,
		"no checksum":       noSum,
	} {
		if err := os.WriteFile(files[0], body, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load([]string{dir}, []string{"fig3"}, "test")
		if !errors.Is(err, ErrBadCell) || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), files[0]) {
			t.Errorf("%s: Load: %v", name, err)
		}
		if ok, _ := Complete(tiny(dir), []string{dir}); ok["fig3"] {
			t.Errorf("%s: counted as complete", name)
		}
		var log bytes.Buffer
		o := tiny(dir)
		o.Log = &log
		ran, skipped, err := Execute(context.Background(), o)
		if err != nil || ran != 1 || skipped != 2 {
			t.Errorf("%s: ran %d skipped %d err %v, want the bad cell recomputed", name, ran, skipped, err)
		}
		if !strings.Contains(log.String(), "recomputing cell") {
			t.Errorf("%s: no note: %q", name, log.String())
		}
		if got, _ := os.ReadFile(files[0]); !bytes.Equal(got, good) {
			t.Errorf("%s: recomputed cell differs from the original", name)
		}
	}
	// A bad cell of another code version, left in a reused directory, is
	// not read by a report of this version.
	other := filepath.Join(dir, "cells", "fig3", "0000000000000000.json")
	if err := os.WriteFile(other, bytes.Replace(noSum, []byte(`"version":"test"`), []byte(`"version":"old"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load([]string{dir}, []string{"fig3"}, "test"); err != nil {
		t.Errorf("another version's cell: %v", err)
	}
}
