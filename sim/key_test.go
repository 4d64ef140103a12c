package sim

import (
	"context"
	"testing"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/video"
)

// TestKeyNextIgnoresHistory: a keyed, fresh run draws the same noise and so
// produces the same records (start times taken from the run's own start)
// whatever ran before it; another key gives other records; and without a
// key the history shows through, so the test can tell the difference.
func TestKeyNextIgnoresHistory(t *testing.T) {
	ctx := context.Background()
	dag := builtin(t, "face-detection")
	target := backend.Config{"decode": 2048, "face-detect": 2048, "hd": 2048, "encode": 3008}
	// Two histories: one shares encode's size with the target (its warm
	// environments would survive the Apply), the other shares nothing and
	// runs longer, so the clock and the tide differ too.
	histories := []struct {
		cfg backend.Config
		us  int64
	}{
		{backend.Config{"decode": 1024, "face-detect": 1536, "hd": 2048, "encode": 3008}, 40e6},
		{backend.Config{"decode": 4096, "face-detect": 3072, "hd": 1024, "encode": 1024}, 95e6},
	}
	run := func(h int, key uint64, keyed bool) ([32]byte, backend.RunStats) {
		s := newSim(t, platform.Default(), dag, 5, 1024)
		if err := s.Apply(ctx, histories[h].cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Run(ctx, backend.Workload{Source: newPoisson(2, 11+uint64(h), video.Reference, 0), Duration: histories[h].us}, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Apply(ctx, target); err != nil {
			t.Fatal(err)
		}
		if keyed {
			s.KeyNext(key, true)
		}
		d := &relDigest{origin: s.Now()}
		st, err := s.Run(ctx, backend.Workload{Source: newPoisson(1, 3, video.Reference, 0), Duration: 30e6}, d)
		if err != nil {
			t.Fatal(err)
		}
		if d.count == 0 {
			t.Fatal("no records")
		}
		st.Events = 0 // the heap's event count is not an observation
		return d.h, st
	}
	a, sa := run(0, 42, true)
	b, sb := run(1, 42, true)
	if a != b || sa != sb {
		t.Errorf("same key after different histories: records %x vs %x, stats %+v vs %+v", a[:8], b[:8], sa, sb)
	}
	if c, sc := run(1, 43, true); c == a || sc.E2E == sa.E2E {
		t.Errorf("keys 42 and 43 gave the same run (%+v)", sc.E2E)
	}
	if u0, su0 := run(0, 0, false); func() bool { u1, su1 := run(1, 0, false); return u0 == u1 || su0.E2E == su1.E2E }() {
		t.Error("unkeyed runs after different histories agree: the test cannot see history")
	}
}

// relDigest hashes records with start times relative to origin.
type relDigest struct {
	digest
	origin int64
}

func (d *relDigest) Record(r *backend.Record) {
	c := *r
	c.Start -= d.origin
	d.digest.Record(&c)
}
