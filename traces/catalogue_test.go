package traces

import (
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/confignav/confignav/video"
)

func TestDefaultCatalogue(t *testing.T) {
	c := DefaultCatalogue(1)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(c.Clips) != 50 {
		t.Fatalf("%d clips, want 50", len(c.Clips))
	}
	heights, fps, faces := map[int]int{}, map[float64]int{}, map[int]int{}
	motion := 0.0
	for _, in := range c.Clips {
		heights[in.Height]++
		fps[in.FPS]++
		faces[in.Faces]++
		motion += in.Motion / 50
		if in.Seconds != 5 || in.Width*9 < in.Height*16-9 {
			t.Errorf("clip %+v is not a 5 s 16:9 clip", in)
		}
	}
	if !reflect.DeepEqual(heights, map[int]int{360: 5, 480: 8, 720: 15, 1080: 22}) ||
		!reflect.DeepEqual(fps, map[float64]int{24: 6, 25: 8, 30: 26, 60: 10}) ||
		!reflect.DeepEqual(faces, map[int]int{0: 8, 1: 22, 2: 10, 3: 6, 4: 4}) {
		t.Errorf("mix: heights %v fps %v faces %v", heights, fps, faces)
	}
	// Beta(2.5, 2) has mean 0.556 and sd 0.21; the mean of 50 draws is
	// within 4 standard errors (4·0.21/√50 ≈ 0.12).
	if math.Abs(motion-2.5/4.5) > 0.12 {
		t.Errorf("mean motion %v, want about %v", motion, 2.5/4.5)
	}
	if !reflect.DeepEqual(c, DefaultCatalogue(1)) || reflect.DeepEqual(c, DefaultCatalogue(2)) {
		t.Error("the default catalogue is not a function of the seed")
	}
}

func TestLoadCatalogue(t *testing.T) {
	want := &Catalogue{
		Clips: []video.Input{
			{Width: 1280, Height: 720, FPS: 30, Seconds: 5, Motion: 0.4, Faces: 1, ID: 10},
			{Width: 1920, Height: 1080, FPS: 60, Seconds: 5, Motion: 0.9, Faces: 4, ID: 11},
			{Width: 640, Height: 360, FPS: 24, Seconds: 5, Motion: 0.05, Faces: 0, ID: 12},
		},
		Names:   []string{"intro", "crowd", "lyrics"},
		Weights: []float64{2, 1, 1},
	}
	for _, f := range []string{"clips.csv", "clips.json"} {
		got, err := LoadCatalogue(filepath.Join("testdata", f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, want %+v", f, got, want)
		}
	}
	// Requests draw by weight: clip 10 half the time. Tolerance: 5
	// binomial standard deviations of 20,000 draws.
	cat, _ := LoadCatalogue(filepath.Join("testdata", "clips.csv"))
	rs := collect(mustPoisson(t, 100, 1, cat, nil), 20000)
	n := 0
	for _, r := range rs {
		if r.Input.ID == 10 {
			n++
		}
	}
	if p := float64(n) / 20000; math.Abs(p-0.5) > 5*math.Sqrt(0.25/20000) {
		t.Errorf("clip 10 drawn %.3f of the time, want 0.5", p)
	}
}

func TestBadCatalogue(t *testing.T) {
	for _, c := range []struct {
		name, file, content string
		line, col           int
		kind                error
	}{
		{"empty csv", "c.csv", "", 1, 1, ErrEmpty},
		{"unknown column", "c.csv", "resolution,fps,seconds,motion,faces,colour\n", 1, 6, ErrHeader},
		{"missing fps", "c.csv", "resolution,seconds,motion,faces\n", 1, 5, ErrHeader},
		{"both resolutions", "c.csv", "resolution,width,height,fps,seconds,motion,faces\n", 1, 1, ErrHeader},
		{"bad resolution", "c.csv", "resolution,fps,seconds,motion,faces\n720p,30,5,0.5,1\nhuge,30,5,0.5,1\n", 3, 1, ErrValue},
		{"motion above 1", "c.csv", "resolution,fps,seconds,motion,faces\n720p,30,5,1.5,1\n", 2, 1, ErrValue},
		{"negative faces", "c.csv", "resolution,fps,seconds,motion,faces\n720p,30,5,0.5,-1\n", 2, 5, ErrValue},
		{"truncated", "c.csv", "resolution,fps,seconds,motion,faces\n720p,30,5", 2, 4, ErrFields},
		{"json syntax", "c.json", "[{\"fps\": 30,\n \"seconds\": }]", 2, 13, ErrValue},
		{"json unknown key", "c.json", "[\n{\"resolution\":\"720p\",\"fps\":30,\"seconds\":5,\"motion\":0.5,\"faces\":1,\"colour\":2}]", 2, 1, ErrValue},
		{"json bad clip", "c.json", "[\n {\"resolution\":\"720p\",\"fps\":0,\"seconds\":5,\"motion\":0.5,\"faces\":1}]", 2, 2, ErrValue},
		{"json empty", "c.json", "", 1, 1, ErrEmpty},
		{"json cut", "c.json", "[{\"resolution\":\"720p\",\"fps\":30,\"seconds\":5,\"motion\":0.5,\"faces\":1}", 1, 67, ErrFields},
		{"json wrong key", "c.json", "{\"videos\": []}", 1, 2, ErrHeader},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), c.file)
			writeRaw(t, path, []byte(c.content))
			cat, err := LoadCatalogue(path)
			checkParseError(t, cat != nil, err, path, c.line, c.col, c.kind)
		})
	}
	// Whole-catalogue problems are plain errors naming the file.
	for _, content := range []string{
		"id,resolution,fps,seconds,motion,faces\n1,720p,30,5,0.5,1\n1,360p,30,5,0.5,1\n", // duplicate id
		"resolution,fps,seconds,motion,faces,weight\n720p,30,5,0.5,1,0\n",                // all weights zero
		"resolution,fps,seconds,motion,faces\n",                                          // no clips
	} {
		path := filepath.Join(t.TempDir(), "c.csv")
		writeRaw(t, path, []byte(content))
		if _, err := LoadCatalogue(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%q: err = %v, want an error naming the file", content, err)
		}
	}
}

func TestParseChange(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Change
		str  string
	}{
		{"10m:resolution=360p", Change{At: 600e6, Set: FeatureResolution, Value: video.Input{Width: 640, Height: 360}}, "10m0s:resolution=640x360"},
		{"90s:fps=60, motion=0.9", Change{At: 90e6, Set: FeatureFPS | FeatureMotion, Value: video.Input{FPS: 60, Motion: 0.9}}, "1m30s:fps=60,motion=0.9"},
		{"1h:faces=0,seconds=10,resolution=*", Change{At: 3600e6, Set: FeatureFaces | FeatureSeconds, Reset: FeatureResolution, Value: video.Input{Seconds: 10}}, "1h0m0s:resolution=*,seconds=10,faces=0"},
		{"0s:resolution=1280x720", Change{At: 0, Set: FeatureResolution, Value: video.Input{Width: 1280, Height: 720}}, "0s:resolution=1280x720"},
	} {
		got, err := ParseChange(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got != c.want || got.String() != c.str {
			t.Errorf("%q = %+v (%s), want %+v (%s)", c.in, got, got, c.want, c.str)
		}
		if again, err := ParseChange(got.String()); err != nil || again != got {
			t.Errorf("%q does not round-trip: %+v, %v", got.String(), again, err)
		}
	}
	for _, bad := range []string{"", "10m", "10m:", "ten:fps=30", "-1m:fps=30", "10m:fps", "10m:fps=0", "10m:fps=-5",
		"10m:motion=2", "10m:faces=1.5", "10m:colour=red", "10m:fps=30,fps=60", "10m:resolution=big", "10m:seconds=NaN"} {
		if _, err := ParseChange(bad); err == nil || !strings.HasPrefix(err.Error(), "traces: change") {
			t.Errorf("%q: err = %v, want a change error", bad, err)
		}
	}
	// Out-of-range values name the limit.
	for bad, limit := range map[string]string{"10m:faces=1000000": "0 to 1000", "10m:fps=5000": "(0, 1000]", "10m:seconds=1e6": "(0, 86400]"} {
		if _, err := ParseChange(bad); err == nil || !strings.Contains(err.Error(), limit) {
			t.Errorf("%q: err = %v, want the limit %s", bad, err, limit)
		}
	}
}

// TestChangesApply: from minute 1 every request is 360p with new IDs; from
// minute 2 fps is 60 too; from minute 3 the resolution is the clip's own.
func TestChangesApply(t *testing.T) {
	var chs []Change
	for _, s := range []string{"3m:resolution=*", "1m:resolution=360p", "2m:fps=60"} { // out of order on purpose
		c, err := ParseChange(s)
		if err != nil {
			t.Fatal(err)
		}
		chs = append(chs, c)
	}
	cat := DefaultCatalogue(4)
	byID := map[int]video.Input{}
	for _, in := range cat.Clips {
		byID[in.ID] = in
	}
	rs := collect(mustPoisson(t, 20, 1, cat, chs), 0+4*60*20)
	for _, r := range rs {
		in, m := r.Input, r.At/MinuteMicros
		orig, known := byID[in.ID%50]
		switch {
		case !known:
			t.Fatalf("request at minute %d has id %d", m, in.ID)
		case m < 1:
			if in != orig {
				t.Fatalf("minute 0: %+v, want the clip %+v", in, orig)
			}
		case m < 2:
			if in.Height != 360 || in.FPS != orig.FPS || in.ID != orig.ID+50 {
				t.Fatalf("minute 1: %+v from %+v", in, orig)
			}
		case m < 3:
			if in.Height != 360 || in.FPS != 60 || in.ID != orig.ID+100 {
				t.Fatalf("minute 2: %+v from %+v", in, orig)
			}
		default:
			if in.Height != orig.Height || in.FPS != 60 || in.ID != orig.ID+150 {
				t.Fatalf("minute 3: %+v from %+v", in, orig)
			}
		}
	}
}
