package traces

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/confignav/confignav/video"
)

// Catalogue is the set of clips requests draw their input from. Each request
// draws one clip at random (seeded), with probability proportional to its
// weight, or uniformly when Weights is nil.
type Catalogue struct {
	Clips   []video.Input
	Names   []string  // optional, one per clip
	Weights []float64 // optional, one per clip, non-negative, not all zero
}

// Validate reports the first problem: no clips, an invalid clip, duplicate or
// negative IDs, or bad weights.
func (c *Catalogue) Validate() error {
	if c == nil || len(c.Clips) == 0 {
		return errorf("catalogue has no clips")
	}
	if c.Names != nil && len(c.Names) != len(c.Clips) {
		return errorf("catalogue has %d names for %d clips", len(c.Names), len(c.Clips))
	}
	seen := map[int]int{}
	for i, in := range c.Clips {
		if err := in.Validate(); err != nil {
			return errorf("catalogue clip %d: %v", i, err)
		}
		if in.ID < 0 {
			return errorf("catalogue clip %d: id %d must not be negative", i, in.ID)
		}
		if j, dup := seen[in.ID]; dup {
			return errorf("catalogue clips %d and %d share id %d", j, i, in.ID)
		}
		seen[in.ID] = i
	}
	if c.Weights != nil {
		if len(c.Weights) != len(c.Clips) {
			return errorf("catalogue has %d weights for %d clips", len(c.Weights), len(c.Clips))
		}
		sum := 0.0
		for i, w := range c.Weights {
			if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
				return errorf("catalogue clip %d: weight %v must be a non-negative number", i, w)
			}
			sum += w
		}
		if sum == 0 {
			return errorf("catalogue weights are all zero")
		}
	}
	return nil
}

// The default catalogue mimics the paper's dataset (§4.1): 50 five-second
// clips cut from popular Bilibili music videos, 360p to 1080p. The paper gives
// only the count, the length and the resolution range; the mix below is our
// assumption of what such a set looks like (most uploads 720p or 1080p, most
// at 30 fps, some 60 fps performance videos and 24/25 fps film-like ones,
// music videos with one singer more often than not). The marginal counts are
// exact for every seed; the seed only pairs them and draws motion.
var (
	defaultHeights = []struct{ h, n int }{{360, 5}, {480, 8}, {720, 15}, {1080, 22}}
	defaultFPS     = []struct {
		fps float64
		n   int
	}{{24, 6}, {25, 8}, {30, 26}, {60, 10}}
	defaultFaces = []struct{ faces, n int }{{0, 8}, {1, 22}, {2, 10}, {3, 6}, {4, 4}}
)

// DefaultMotion is the Beta distribution of motion complexity in the default
// catalogue: mean 0.56, most clips between 0.25 and 0.85 (music videos cut
// often and move the camera; a still lyric video is the rare low end).
var DefaultMotion = [2]float64{2.5, 2}

// DefaultCatalogue returns the 50-clip catalogue described above; the same
// seed gives the same catalogue.
func DefaultCatalogue(seed uint64) *Catalogue {
	r := newRand(seed, streamCatalog, 0)
	const n = 50
	expand := func(counts []int) []int {
		var out []int
		for i, c := range counts {
			for k := 0; k < c; k++ {
				out = append(out, i)
			}
		}
		r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		return out
	}
	var hc, fc, xc []int
	for _, h := range defaultHeights {
		hc = append(hc, h.n)
	}
	for _, f := range defaultFPS {
		fc = append(fc, f.n)
	}
	for _, f := range defaultFaces {
		xc = append(xc, f.n)
	}
	hs, fs, xs := expand(hc), expand(fc), expand(xc)
	beta := distuv.Beta{Alpha: DefaultMotion[0], Beta: DefaultMotion[1], Src: rand.NewPCG(seed, streamID(streamCatalog, 1))}
	c := &Catalogue{Clips: make([]video.Input, n), Names: make([]string, n)}
	for i := 0; i < n; i++ {
		h := defaultHeights[hs[i]].h
		w, _, _ := video.Resolution(fmt.Sprintf("%dp", h))
		m := math.Round(beta.Rand()*1000) / 1000
		c.Clips[i] = video.Input{Width: w, Height: h, FPS: defaultFPS[fs[i]].fps, Seconds: 5,
			Motion: min(max(m, 0), 1), Faces: defaultFaces[xs[i]].faces, ID: i}
		c.Names[i] = fmt.Sprintf("clip%02d", i)
	}
	return c
}

// LoadCatalogue reads a manifest file: JSON if its name ends in .json or its
// first non-blank character is '[' or '{', CSV otherwise.
func LoadCatalogue(path string) (*Catalogue, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errorf("%v", err)
	}
	return ParseCatalogue(data, path)
}

// ParseCatalogue parses a manifest (see LoadCatalogue); name is used in errors.
//
// CSV: a header naming the columns, in any order: resolution (e.g. 720p or
// 1280x720) or width and height; fps; seconds; motion; faces; and optionally
// id (default: the row number from 0), name and weight.
//
// JSON: an array of clip objects, or {"clips": [...]}, with the same keys.
func ParseCatalogue(data []byte, name string) (*Catalogue, error) {
	trim := bytes.TrimLeft(data, " \t\r\n\xef\xbb\xbf")
	if strings.EqualFold(filepath.Ext(name), ".json") || (len(trim) > 0 && (trim[0] == '[' || trim[0] == '{')) {
		return parseCatalogueJSON(data, name)
	}
	return parseCatalogueCSV(data, name)
}

var catalogueColumns = []string{"id", "name", "resolution", "width", "height", "fps", "seconds", "motion", "faces", "weight"}

func parseCatalogueCSV(data []byte, name string) (*Catalogue, error) {
	lr, err := newLineReader(bytes.NewReader(data), name)
	if err != nil {
		return nil, err
	}
	head, ok := lr.next()
	if !ok || len(bytes.TrimSpace(head)) == 0 {
		return nil, perr(name, 1, 1, ErrEmpty, "no header line")
	}
	h := headerFields(head)
	pos := map[string]int{}
	for i, s := range h {
		s = strings.ToLower(s)
		if !slices.Contains(catalogueColumns, s) {
			return nil, perr(name, 1, i+1, ErrHeader, "unexpected column %q (want %s)", h[i], strings.Join(catalogueColumns, ", "))
		}
		if _, dup := pos[s]; dup {
			return nil, perr(name, 1, i+1, ErrHeader, "column %q appears twice", h[i])
		}
		pos[s] = i
	}
	_, hasRes := pos["resolution"]
	_, hasW := pos["width"]
	_, hasH := pos["height"]
	switch {
	case hasRes && (hasW || hasH):
		return nil, perr(name, 1, 1, ErrHeader, "give either resolution or width and height, not both")
	case !hasRes && !(hasW && hasH):
		return nil, perr(name, 1, len(h)+1, ErrHeader, "missing column resolution (or width and height)")
	}
	for _, req := range []string{"fps", "seconds", "motion", "faces"} {
		if _, ok := pos[req]; !ok {
			return nil, perr(name, 1, len(h)+1, ErrHeader, "missing column %q", req)
		}
	}
	c := &Catalogue{}
	r := &rowReader{lr: lr, header: h}
	_, hasName := pos["name"]
	_, hasWeight := pos["weight"]
	for r.next() {
		var raw clipJSON
		raw.ID = new(int)
		*raw.ID = len(c.Clips)
		if i, ok := pos["id"]; ok {
			*raw.ID = int(r.count(i))
		}
		if i, ok := pos["resolution"]; ok {
			raw.Resolution = string(r.fields[i])
		} else {
			raw.Width, raw.Height = int(r.count(pos["width"])), int(r.count(pos["height"]))
		}
		raw.FPS = r.float(pos["fps"])
		raw.Seconds = r.float(pos["seconds"])
		raw.Motion = r.float(pos["motion"])
		raw.Faces = int(r.count(pos["faces"]))
		if r.err != nil {
			return nil, r.err
		}
		in, err := raw.input()
		if err != nil {
			col := 1
			if i, ok := pos["resolution"]; ok && raw.Resolution != "" && strings.Contains(err.Error(), "resolution") {
				col = i + 1
			}
			return nil, perr(name, lr.line, col, ErrValue, "%v", err)
		}
		c.Clips = append(c.Clips, in)
		if hasName {
			c.Names = append(c.Names, string(r.fields[pos["name"]]))
		}
		if hasWeight {
			c.Weights = append(c.Weights, r.float(pos["weight"]))
			if r.err != nil {
				return nil, r.err
			}
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if err := c.Validate(); err != nil {
		return nil, errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "traces: "))
	}
	return c, nil
}

// clipJSON is one manifest entry.
type clipJSON struct {
	ID         *int     `json:"id"`
	Name       string   `json:"name"`
	Resolution string   `json:"resolution"`
	Width      int      `json:"width"`
	Height     int      `json:"height"`
	FPS        float64  `json:"fps"`
	Seconds    float64  `json:"seconds"`
	Motion     float64  `json:"motion"`
	Faces      int      `json:"faces"`
	Weight     *float64 `json:"weight"`
}

func (c *clipJSON) input() (video.Input, error) {
	in := video.Input{Width: c.Width, Height: c.Height, FPS: c.FPS, Seconds: c.Seconds, Motion: c.Motion, Faces: c.Faces}
	if c.ID != nil {
		in.ID = *c.ID
	}
	if c.Resolution != "" {
		if c.Width != 0 || c.Height != 0 {
			return in, errors.New("give either resolution or width and height, not both")
		}
		w, h, err := parseResolution(c.Resolution)
		if err != nil {
			return in, err
		}
		in.Width, in.Height = w, h
	}
	if err := in.Validate(); err != nil {
		return in, err
	}
	if in.ID < 0 {
		return in, fmt.Errorf("id %d must not be negative", in.ID)
	}
	return in, nil
}

// parseResolution accepts "720p" (16:9) or "1280x720".
func parseResolution(s string) (w, h int, err error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if a, b, ok := strings.Cut(s, "x"); ok {
		w, err1 := strconv.Atoi(a)
		h, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil || w <= 0 || h <= 0 || w > 16384 || h > 16384 {
			return 0, 0, fmt.Errorf("resolution %q: want WIDTHxHEIGHT such as 1280x720, or a height such as 720p", s)
		}
		return w, h, nil
	}
	if !strings.HasSuffix(s, "p") {
		return 0, 0, fmt.Errorf("resolution %q: want a height such as 720p, or WIDTHxHEIGHT", s)
	}
	return video.Resolution(s)
}

func parseCatalogueJSON(data []byte, name string) (*Catalogue, error) {
	at := func(off int64) (line, col int) {
		off = min(max(off, 0), int64(len(data)))
		line = 1 + bytes.Count(data[:off], []byte{'\n'})
		col = int(off) - bytes.LastIndexByte(data[:off], '\n')
		return line, col
	}
	jsonErr := func(err error, off int64) error {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			off = se.Offset
		case errors.As(err, &te):
			off = te.Offset
		}
		l, c := at(off)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			if len(bytes.TrimSpace(data)) == 0 {
				return perr(name, l, c, ErrEmpty, "no clips")
			}
			return perr(name, l, c, ErrFields, "unexpected end of input")
		}
		return perr(name, l, c, ErrValue, "%v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonErr(err, dec.InputOffset())
	}
	if d, ok := tok.(json.Delim); ok && d == '{' {
		// {"clips": [...]}
		key, err := dec.Token()
		if err != nil {
			return nil, jsonErr(err, dec.InputOffset())
		}
		if key != "clips" {
			l, c := at(dec.InputOffset() - int64(len(fmt.Sprintf("%q", key))))
			return nil, perr(name, l, c, ErrHeader, "object key %v, want \"clips\"", key)
		}
		if tok, err = dec.Token(); err != nil {
			return nil, jsonErr(err, dec.InputOffset())
		}
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		l, c := at(dec.InputOffset())
		return nil, perr(name, l, c, ErrHeader, "want an array of clips or {\"clips\": [...]}")
	}
	cat := &Catalogue{}
	anyName, anyWeight := false, false
	var names []string
	var weights []*float64
	for dec.More() {
		off := dec.InputOffset()
		var raw clipJSON
		var msg json.RawMessage
		if err := dec.Decode(&msg); err != nil {
			return nil, jsonErr(err, off)
		}
		// Find where the object starts (skip the comma and blanks).
		start := off + int64(len(data[off:])-len(bytes.TrimLeft(data[off:], ", \t\r\n")))
		sub := json.NewDecoder(bytes.NewReader(msg))
		sub.DisallowUnknownFields()
		if err := sub.Decode(&raw); err != nil {
			var se *json.SyntaxError
			var te *json.UnmarshalTypeError
			switch {
			case errors.As(err, &se):
				se.Offset += start
			case errors.As(err, &te):
				te.Offset += start
			}
			return nil, jsonErr(err, start)
		}
		id := len(cat.Clips)
		if raw.ID == nil {
			raw.ID = &id
		}
		in, err := raw.input()
		if err != nil {
			l, c := at(start)
			return nil, perr(name, l, c, ErrValue, "clip %d: %v", len(cat.Clips), err)
		}
		cat.Clips = append(cat.Clips, in)
		names = append(names, raw.Name)
		weights = append(weights, raw.Weight)
		anyName = anyName || raw.Name != ""
		anyWeight = anyWeight || raw.Weight != nil
	}
	if _, err := dec.Token(); err != nil {
		return nil, jsonErr(err, dec.InputOffset())
	}
	if anyName {
		cat.Names = names
	}
	if anyWeight {
		cat.Weights = make([]float64, len(weights))
		for i, w := range weights {
			if w == nil {
				l, c := at(dec.InputOffset())
				return nil, perr(name, l, c, ErrValue, "clip %d has no weight while others have one", i)
			}
			cat.Weights[i] = *w
		}
	}
	if err := cat.Validate(); err != nil {
		return nil, errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "traces: "))
	}
	return cat, nil
}

// Feature is a bit set of input features a Change overrides.
type Feature uint8

const (
	FeatureResolution Feature = 1 << iota
	FeatureFPS
	FeatureSeconds
	FeatureMotion
	FeatureFaces
)

var featureNames = []struct {
	f    Feature
	name string
}{{FeatureResolution, "resolution"}, {FeatureFPS, "fps"}, {FeatureSeconds, "seconds"}, {FeatureMotion, "motion"}, {FeatureFaces, "faces"}}

// Change is a scheduled change of the input stream, for the dynamic
// experiments: from At (microseconds since the start of the run) on, requests
// carry Value's features in Set instead of their clip's, and their clip's own
// features again for those in Reset. Changes apply in time order and
// accumulate: a later change keeps the overrides of earlier ones unless it
// sets or resets the same feature.
type Change struct {
	At    int64
	Set   Feature
	Reset Feature
	Value video.Input // Width and Height for FeatureResolution, FPS, Seconds, Motion, Faces
}

// maxChangeFaces is the largest face count a change may set: a pipeline fans
// out per face, so a larger count makes one request a storm of invocations.
const maxChangeFaces = 1000

// ParseChange parses "OFFSET:feature=value[,feature=value…]", where OFFSET
// is a Go duration ("10m", "90s", "1h30m") from the start of the run, features
// are resolution (720p or 1280x720), fps, seconds, motion (0..1) and faces,
// and the value "*" returns a feature to each clip's own value. Example:
// "10m:resolution=360p" or "20m:fps=60,motion=0.9".
func ParseChange(s string) (Change, error) {
	var c Change
	bad := func(format string, args ...any) (Change, error) {
		return Change{}, errorf("change %q: "+format, append([]any{s}, args...)...)
	}
	at, rest, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return bad("want OFFSET:feature=value, e.g. 10m:resolution=360p")
	}
	d, err := time.ParseDuration(strings.TrimSpace(at))
	if err != nil || d < 0 {
		return bad("offset %q: want a non-negative duration such as 10m or 90s", at)
	}
	c.At = d.Microseconds()
	if strings.TrimSpace(rest) == "" {
		return bad("no feature=value")
	}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if !ok || v == "" {
			return bad("%q: want feature=value", kv)
		}
		var f Feature
		for _, fn := range featureNames {
			if fn.name == k {
				f = fn.f
			}
		}
		if f == 0 {
			return bad("unknown feature %q (want resolution, fps, seconds, motion or faces)", k)
		}
		if (c.Set|c.Reset)&f != 0 {
			return bad("feature %q given twice", k)
		}
		if v == "*" {
			c.Reset |= f
			continue
		}
		c.Set |= f
		num := func() (float64, error) {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
				return 0, fmt.Errorf("%s value %q is not a non-negative number", k, v)
			}
			return x, nil
		}
		var x float64
		switch f {
		case FeatureResolution:
			w, h, err := parseResolution(v)
			if err != nil {
				return bad("%v", err)
			}
			c.Value.Width, c.Value.Height = w, h
			continue
		case FeatureFaces:
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > maxChangeFaces {
				return bad("faces %q: want a whole number from 0 to %d", v, maxChangeFaces)
			}
			c.Value.Faces = n
			continue
		}
		if x, err = num(); err != nil {
			return bad("%v", err)
		}
		switch f {
		case FeatureFPS:
			if x == 0 || x > 1000 {
				return bad("fps %v out of range (0, 1000]", x)
			}
			c.Value.FPS = x
		case FeatureSeconds:
			if x == 0 || x > 86400 {
				return bad("seconds %v out of range (0, 86400]", x)
			}
			c.Value.Seconds = x
		case FeatureMotion:
			if x > 1 {
				return bad("motion %v out of range [0, 1]", x)
			}
			c.Value.Motion = x
		}
	}
	return c, nil
}

// String formats the change in the form ParseChange reads.
func (c Change) String() string {
	var b strings.Builder
	b.WriteString((time.Duration(c.At) * time.Microsecond).String())
	b.WriteByte(':')
	first := true
	for _, fn := range featureNames {
		if (c.Set|c.Reset)&fn.f == 0 {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(fn.name + "=")
		if c.Reset&fn.f != 0 {
			b.WriteByte('*')
			continue
		}
		switch fn.f {
		case FeatureResolution:
			fmt.Fprintf(&b, "%dx%d", c.Value.Width, c.Value.Height)
		case FeatureFPS:
			b.WriteString(strconv.FormatFloat(c.Value.FPS, 'g', -1, 64))
		case FeatureSeconds:
			b.WriteString(strconv.FormatFloat(c.Value.Seconds, 'g', -1, 64))
		case FeatureMotion:
			b.WriteString(strconv.FormatFloat(c.Value.Motion, 'g', -1, 64))
		case FeatureFaces:
			b.WriteString(strconv.Itoa(c.Value.Faces))
		}
	}
	return b.String()
}

// drawer attaches inputs to requests: a seeded draw from the catalogue, then
// the scheduled changes in force at the request's time.
type drawer struct {
	clips   []video.Input
	cum     []float64 // cumulative weights; nil for uniform
	r       *rand.Rand
	changes []Change // sorted by At
	next    int      // first change not yet in force
	mask    Feature
	over    video.Input
	idSpan  int // IDs of changed clips are ID + epoch·idSpan
}

func newDrawer(cat *Catalogue, changes []Change, seed uint64, stream uint64) (*drawer, error) {
	if cat == nil {
		cat = DefaultCatalogue(seed)
	}
	if err := cat.Validate(); err != nil {
		return nil, err
	}
	d := &drawer{clips: cat.Clips, r: rand.New(rand.NewPCG(seed, streamID(streamInputs, stream)))}
	for _, in := range cat.Clips {
		d.idSpan = max(d.idSpan, in.ID+1)
	}
	if cat.Weights != nil {
		d.cum = make([]float64, len(cat.Weights))
		s := 0.0
		for i, w := range cat.Weights {
			s += w
			d.cum[i] = s
		}
	}
	d.changes = slices.Clone(changes)
	sort.SliceStable(d.changes, func(i, j int) bool { return d.changes[i].At < d.changes[j].At })
	for _, c := range d.changes {
		if c.At < 0 {
			return nil, errorf("change %v: negative time", c)
		}
		if c.Set&c.Reset != 0 {
			return nil, errorf("change %v: a feature both set and reset", c)
		}
	}
	return d, nil
}

// draw writes the input of a request arriving at at into out.
func (d *drawer) draw(at int64, out *video.Input) {
	if d.next < len(d.changes) && d.changes[d.next].At <= at {
		d.advance(at)
	}
	var i int
	if d.cum == nil {
		i = int(d.r.Uint32N(uint32(len(d.clips))))
	} else {
		u := d.r.Float64() * d.cum[len(d.cum)-1]
		i = min(sort.Search(len(d.cum), func(k int) bool { return d.cum[k] > u }), len(d.cum)-1)
	}
	*out = d.clips[i]
	if d.mask != 0 {
		d.override(out)
	}
}

// advance brings the changes due by at into force.
func (d *drawer) advance(at int64) {
	for d.next < len(d.changes) && d.changes[d.next].At <= at {
		c := &d.changes[d.next]
		d.mask = (d.mask | c.Set) &^ c.Reset
		if c.Set&FeatureResolution != 0 {
			d.over.Width, d.over.Height = c.Value.Width, c.Value.Height
		}
		if c.Set&FeatureFPS != 0 {
			d.over.FPS = c.Value.FPS
		}
		if c.Set&FeatureSeconds != 0 {
			d.over.Seconds = c.Value.Seconds
		}
		if c.Set&FeatureMotion != 0 {
			d.over.Motion = c.Value.Motion
		}
		if c.Set&FeatureFaces != 0 {
			d.over.Faces = c.Value.Faces
		}
		d.next++
	}
}

// override applies the features in force. A changed clip gets a new ID,
// ID + (number of changes in force)·span, so that consumers caching work per
// clip ID never mix a clip with its changed version.
func (d *drawer) override(in *video.Input) {
	m := d.mask
	if m&FeatureResolution != 0 {
		in.Width, in.Height = d.over.Width, d.over.Height
	}
	if m&FeatureFPS != 0 {
		in.FPS = d.over.FPS
	}
	if m&FeatureSeconds != 0 {
		in.Seconds = d.over.Seconds
	}
	if m&FeatureMotion != 0 {
		in.Motion = d.over.Motion
	}
	if m&FeatureFaces != 0 {
		in.Faces = d.over.Faces
	}
	in.ID += d.next * d.idSpan
}
