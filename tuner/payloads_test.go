package tuner_test

import (
	"context"
	"testing"

	"github.com/confignav/confignav/tuner"
	"github.com/confignav/confignav/video"
)

func clipOf(height, faces int, fps float64) video.Input {
	in := video.Reference
	in.Width, in.Height, in.Faces, in.FPS = height*16/9, height, faces, fps
	return in
}

// TestRepresentativesFollowTheMix: strata of equal size over the clips
// sorted by resolution, frames and faces, each represented by its middle.
func TestRepresentativesFollowTheMix(t *testing.T) {
	var clips []video.Input
	for i := 0; i < 6; i++ { // 6 × 1080p first, so that sorting is needed
		clips = append(clips, clipOf(1080, i%3, 30))
	}
	for i := 0; i < 2; i++ {
		clips = append(clips, clipOf(360, 1, 30))
	}
	got := tuner.Representatives(clips, 2) // strata: clips 0–3 and 4–7 of the sorted 8
	if len(got) != 2 || got[0].Height != 1080 || got[1].Height != 1080 {
		t.Errorf("2 of 2 × 360p + 6 × 1080p: got %v, want two 1080p clips (the middles of the strata are the sorted 2nd and 6th)", got)
	}
	got = tuner.Representatives(clips, 4) // middles of 0–1, 2–3, 4–5, 6–7: sorted 1, 3, 5, 7
	if got[0].Height != 360 || got[1].Height != 1080 || got[1].Faces != 0 || got[3].Faces != 2 {
		t.Errorf("4 representatives: %v, want 360p, then 1080p by faces 0 … 2", got)
	}
	if all := tuner.Representatives(clips, 20); len(all) != len(clips) || all[0].Height != 360 {
		t.Errorf("k above the clip count: %d clips, want all %d, sorted", len(all), len(clips))
	}
	if tuner.Representatives(clips, 0) != nil || tuner.Representatives(nil, 3) != nil {
		t.Error("no clips or k = 0: want nil")
	}
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
