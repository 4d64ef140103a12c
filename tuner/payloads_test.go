package tuner_test

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/confignav/confignav/traces"
	"github.com/confignav/confignav/tuner"
	"github.com/confignav/confignav/video"
)

func clipOf(height, faces int, fps float64) video.Input {
	in := video.Reference
	in.Width, in.Height, in.Faces, in.FPS = height*16/9, height, faces, fps
	return in
}

// TestRepresentativesFollowTheMix: on the default catalogue (seeds 1–10)
// ten representatives are distinct clips of the catalogue, in sorted
// order, their means of pixels × frames and faces × frames are within 5 %
// of the catalogue's (one clip per stratum, the middles, missed pixels ×
// frames by up to 9 %), and each resolution has its share of them, within
// one clip; a clip set smaller than k is returned whole, sorted.
func TestRepresentativesFollowTheMix(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		cat := traces.DefaultCatalogue(seed)
		got := tuner.Representatives(cat.Clips, 10)
		if len(got) != 10 {
			t.Fatalf("seed %d: %d representatives, want 10", seed, len(got))
		}
		seen := map[int]bool{}
		for i, c := range got {
			if seen[c.ID] || !slices.Contains(cat.Clips, c) {
				t.Errorf("seed %d: representative %d (%+v) repeated or not in the catalogue", seed, i, c)
			}
			seen[c.ID] = true
			if i > 0 && got[i-1].Height > c.Height {
				t.Errorf("seed %d: not sorted by resolution: %dp before %dp", seed, got[i-1].Height, c.Height)
			}
		}
		for _, f := range []struct {
			name string
			of   func(video.Input) float64
		}{
			{"pixels × frames", func(in video.Input) float64 { return in.Pixels() * in.Frames() }},
			{"faces × frames", func(in video.Input) float64 { return float64(in.Faces) * in.Frames() }},
		} {
			if r := meanOf(got, f.of) / meanOf(cat.Clips, f.of); math.Abs(r-1) > 0.05 {
				t.Errorf("seed %d: the representatives' mean %s is %.3f of the catalogue's, want within 5 %%", seed, f.name, r)
			}
		}
		for _, h := range []int{360, 480, 720, 1080} {
			at := func(in video.Input) float64 { return b2f(in.Height == h) }
			if n, want := 10*meanOf(got, at), 10*meanOf(cat.Clips, at); math.Abs(n-want) > 1 {
				t.Errorf("seed %d: %.0f representatives at %dp, want %.1f ± 1 (the catalogue's share)", seed, n, h, want)
			}
		}
	}
	clips := []video.Input{clipOf(1080, 2, 30), clipOf(360, 1, 30), clipOf(720, 0, 30)}
	if all := tuner.Representatives(clips, 20); len(all) != len(clips) || all[0].Height != 360 || all[2].Height != 1080 {
		t.Errorf("k above the clip count: %v, want all %d, sorted", all, len(clips))
	}
	if tuner.Representatives(clips, 0) != nil || tuner.Representatives(nil, 3) != nil {
		t.Error("no clips or k = 0: want nil")
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func meanOf(clips []video.Input, f func(video.Input) float64) float64 {
	var s float64
	for _, c := range clips {
		s += f(c)
	}
	return s / float64(len(clips))
}

// TestInvokeOnPayloads: one request per payload, each with n invocations,
// run at once (the elapsed time of the slowest, not the sum).
func TestInvokeOnPayloads(t *testing.T) {
	env := newEnv(t, 1, true)
	env.Start()
	one, err := env.Invoke(context.Background(), "decode", 1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	env.Payloads = []video.Input{clipOf(1080, 1, 30), clipOf(1080, 2, 30), clipOf(1080, 0, 30)}
	ev, err := env.Invoke(context.Background(), "decode", 1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Requests != 3 || ev.Functions["decode"].Invocations != 6 {
		t.Errorf("3 payloads × 2 invocations: %d requests, %d invocations; want 3 and 6", ev.Requests, ev.Functions["decode"].Invocations)
	}
	// At once: the run lasts about as long as its slowest invocation (the
	// largest of six is their P95), cold starts included; one after
	// another it would last the sum of three requests, each over 10 s.
	slowest := ev.Functions["decode"].P95Ms / 1000
	if ev.Seconds > slowest+5 {
		t.Errorf("3 payloads took %.1f s, the slowest invocation %.1f s: they should run at once", ev.Seconds, slowest)
	}
	if one.Requests != 1 {
		t.Errorf("without payloads: %d requests, want 1", one.Requests)
	}
}

// TestPayloadMediansFollowThePayloads: Invoke on payloads reports each
// payload's median time in the payloads' order (decode on 1080p takes
// about nine times as long as on 360p), and nothing without payloads.
func TestPayloadMediansFollowThePayloads(t *testing.T) {
	env := newEnv(t, 3, true)
	env.Start()
	one, err := env.Invoke(context.Background(), "decode", 2048, 3)
	if err != nil {
		t.Fatal(err)
	}
	if one.Functions["decode"].PayloadMs != nil {
		t.Errorf("without payloads: PayloadMs %v, want nil", one.Functions["decode"].PayloadMs)
	}
	env.Payloads = []video.Input{clipOf(1080, 1, 30), clipOf(360, 1, 30), clipOf(720, 1, 30)}
	ev, err := env.Invoke(context.Background(), "decode", 2048, 3)
	if err != nil {
		t.Fatal(err)
	}
	ms := ev.Functions["decode"].PayloadMs
	if len(ms) != 3 {
		t.Fatalf("3 payloads: PayloadMs %v, want 3 medians", ms)
	}
	if !(ms[1] > 0 && ms[1] < ms[2] && ms[2] < ms[0]) {
		t.Errorf("medians %v on 1080p, 360p, 720p: want 360p < 720p < 1080p", ms)
	}
}
