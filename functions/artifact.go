package functions

import (
	"archive/tar"
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// Kind is the type of an artifact a function reads or writes.
type Kind string

// The artifacts that move between the functions of the built-in pipelines.
const (
	KindVideo      Kind = "video"      // an encoded clip (MP4, H.264)
	KindFrames     Kind = "frames"     // a tar of JPEG frames with a manifest
	KindROIs       Kind = "rois"       // a tar of face crops per face track with a manifest
	KindDetections Kind = "detections" // JSON: boxes per frame (faces, objects or borders)
	KindSignals    Kind = "signals"    // JSON: fused salient regions per frame
	KindCrop       Kind = "crop"       // JSON: crop window per frame
	KindResolution Kind = "resolution" // JSON: the resolution judgement
)

// manifestName is the first entry of a frames or ROIs tar.
const manifestName = "manifest.json"

// jpegQuality is the quality of every JPEG frame written: visually lossless
// for the pipelines' purposes and ~10× smaller than raw frames.
const jpegQuality = 90

// FramesManifest describes a frames tar: entries manifest.json, then
// 000000.jpg, 000001.jpg, … in frame order.
type FramesManifest struct {
	Kind   Kind    `json:"kind"`
	Width  int     `json:"width"`
	Height int     `json:"height"`
	FPS    float64 `json:"fps"`
	Count  int     `json:"count"`
	Codec  string  `json:"codec"` // "jpeg"
}

// Frames is a decoded frames artifact: the manifest and each frame's JPEG
// bytes (frames are decoded on demand, so a clip costs its compressed size).
type Frames struct {
	FramesManifest
	JPEG [][]byte
}

// Decode decodes frame i.
func (f *Frames) Decode(i int) (image.Image, error) {
	img, err := jpeg.Decode(bytes.NewReader(f.JPEG[i]))
	if err != nil {
		return nil, fmt.Errorf("functions: frame %d: %w", i, err)
	}
	return img, nil
}

// Seconds is the clip length.
func (f *Frames) Seconds() float64 {
	if f.FPS <= 0 {
		return 0
	}
	return float64(f.Count) / f.FPS
}

// ReadFrames reads a frames tar.
func ReadFrames(p string) (*Frames, error) {
	var m FramesManifest
	var jpegs [][]byte
	err := readTar(p, func(name string, data []byte) error {
		if name == manifestName {
			if err := json.Unmarshal(data, &m); err != nil {
				return fmt.Errorf("manifest: %w", err)
			}
			if m.Kind != KindFrames {
				return fmt.Errorf("manifest kind %q, want %q", m.Kind, KindFrames)
			}
			return nil
		}
		if m.Kind == "" {
			return errors.New("first entry is not manifest.json")
		}
		jpegs = append(jpegs, data)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("functions: read frames %s: %w", p, err)
	}
	if m.Count != len(jpegs) {
		return nil, fmt.Errorf("functions: read frames %s: manifest says %d frames, tar holds %d", p, m.Count, len(jpegs))
	}
	return &Frames{FramesManifest: m, JPEG: jpegs}, nil
}

// WriteFrames writes a frames tar from JPEG-encoded frames.
func WriteFrames(p string, width, height int, fps float64, jpegs [][]byte) error {
	m := FramesManifest{Kind: KindFrames, Width: width, Height: height, FPS: fps, Count: len(jpegs), Codec: "jpeg"}
	entries := make([]tarEntry, 0, len(jpegs))
	for i, b := range jpegs {
		entries = append(entries, tarEntry{fmt.Sprintf("%06d.jpg", i), b})
	}
	return writeTar(p, m, entries)
}

// EncodeJPEG encodes an image at the package's JPEG quality.
func EncodeJPEG(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: jpegQuality}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ROIsManifest describes a ROIs tar: entries manifest.json, then
// tNN/IIIIII.jpg, the crop of track NN in frame IIIIII.
type ROIsManifest struct {
	Kind   Kind    `json:"kind"`
	Width  int     `json:"width"` // the source frames' size the boxes refer to
	Height int     `json:"height"`
	FPS    float64 `json:"fps"`
	Count  int     `json:"count"` // frames in the clip
	Tracks []Track `json:"tracks"`
}

// Track is one face followed through the clip.
type Track struct {
	ID    int        `json:"id"`
	Boxes []TrackBox `json:"boxes"` // ascending frame index
}

// TrackBox is a track's crop rectangle in one frame (source frame pixels).
type TrackBox struct {
	Index int `json:"index"`
	X     int `json:"x"`
	Y     int `json:"y"`
	W     int `json:"w"`
	H     int `json:"h"`
}

// ROIs is a decoded ROIs artifact; Crops[track id][frame index] is a JPEG.
type ROIs struct {
	ROIsManifest
	Crops map[int]map[int][]byte
}

func roiEntryName(track, index int) string { return fmt.Sprintf("t%02d/%06d.jpg", track, index) }

// ReadROIs reads a ROIs tar.
func ReadROIs(p string) (*ROIs, error) {
	r := &ROIs{Crops: map[int]map[int][]byte{}}
	err := readTar(p, func(name string, data []byte) error {
		if name == manifestName {
			if err := json.Unmarshal(data, &r.ROIsManifest); err != nil {
				return fmt.Errorf("manifest: %w", err)
			}
			if r.Kind != KindROIs {
				return fmt.Errorf("manifest kind %q, want %q", r.Kind, KindROIs)
			}
			return nil
		}
		var t, i int
		if _, err := fmt.Sscanf(name, "t%02d/%06d.jpg", &t, &i); err != nil {
			return fmt.Errorf("entry %q is not tNN/IIIIII.jpg", name)
		}
		if r.Crops[t] == nil {
			r.Crops[t] = map[int][]byte{}
		}
		r.Crops[t][i] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("functions: read rois %s: %w", p, err)
	}
	return r, nil
}

// WriteROIs writes a ROIs tar; every box of every track must have a crop.
func WriteROIs(p string, r *ROIs) error {
	r.Kind = KindROIs
	var entries []tarEntry
	for _, t := range r.Tracks {
		for _, b := range t.Boxes {
			data, ok := r.Crops[t.ID][b.Index]
			if !ok {
				return fmt.Errorf("functions: write rois: track %d has no crop for frame %d", t.ID, b.Index)
			}
			entries = append(entries, tarEntry{roiEntryName(t.ID, b.Index), data})
		}
	}
	return writeTar(p, r.ROIsManifest, entries)
}

type tarEntry struct {
	name string
	data []byte
}

func writeTar(p string, manifest any, entries []tarEntry) error {
	mb, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return fmt.Errorf("functions: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	tw := tar.NewWriter(bw)
	put := func(name string, data []byte) error {
		// Fixed mode and no times: the same frames give the same bytes.
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Format: tar.FormatUSTAR}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	err = put(manifestName, mb)
	for _, e := range entries {
		if err != nil {
			break
		}
		err = put(e.name, e.data)
	}
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("functions: write %s: %w", p, err)
	}
	return nil
}

func readTar(p string, fn func(name string, data []byte) error) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(bufio.NewReaderSize(f, 1<<20))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if err := fn(path.Clean(h.Name), data); err != nil {
			return err
		}
	}
}

// Box is a rectangle in frame pixels with a score and a label.
type Box struct {
	X     int     `json:"x"`
	Y     int     `json:"y"`
	W     int     `json:"w"`
	H     int     `json:"h"`
	Score float64 `json:"score"`
	Label string  `json:"label,omitempty"`
}

// Border is the solid-colour border (letterbox or pillarbox bars) of a frame
// in pixels from each edge.
type Border struct {
	Top    int `json:"top"`
	Bottom int `json:"bottom"`
	Left   int `json:"left"`
	Right  int `json:"right"`
}

// FrameBoxes is what a detector found in one frame.
type FrameBoxes struct {
	Index  int     `json:"index"`
	Boxes  []Box   `json:"boxes"`
	Border *Border `json:"border,omitempty"`
}

// Detections is the output of face, object and border detection.
type Detections struct {
	Kind     Kind         `json:"kind"`
	Detector string       `json:"detector"` // "faces", "objects" or "borders"
	Method   string       `json:"method"`
	Width    int          `json:"width"`
	Height   int          `json:"height"`
	FPS      float64      `json:"fps"`
	Frames   []FrameBoxes `json:"frames"`
	Border   *Border      `json:"border,omitempty"` // borders: the clip's consensus (median per edge)
}

// MaxBoxes is the largest number of boxes in one frame.
func (d *Detections) MaxBoxes() int {
	n := 0
	for _, f := range d.Frames {
		n = max(n, len(f.Boxes))
	}
	return n
}

// Rect is a rectangle in coordinates normalised to the frame (0..1).
type Rect struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	W float64 `json:"w"`
	H float64 `json:"h"`
}

// Region is one fused salient region.
type Region struct {
	Rect
	Weight   float64 `json:"weight"`
	Required bool    `json:"required"` // scene cropping keeps required regions in the window if it can
	Label    string  `json:"label"`
}

// FrameSignals are the salient regions of one frame.
type FrameSignals struct {
	Index   int      `json:"index"`
	Regions []Region `json:"regions"`
}

// Signals is the output of signal fusing.
type Signals struct {
	Kind    Kind           `json:"kind"`
	Width   int            `json:"width"` // the full-resolution frame size
	Height  int            `json:"height"`
	FPS     float64        `json:"fps"`
	Content Rect           `json:"content"` // the frame inside its borders
	Frames  []FrameSignals `json:"frames"`
}

// CropFrame is the crop window's top-left corner in one frame (normalised).
type CropFrame struct {
	Index int     `json:"index"`
	X     float64 `json:"x"`
	Y     float64 `json:"y"`
}

// CropPlan is the output of scene cropping: a window of fixed normalised size
// per frame.
type CropPlan struct {
	Kind   Kind        `json:"kind"`
	Aspect string      `json:"aspect"` // target width:height
	Width  int         `json:"width"`  // the frame size the plan was made for
	Height int         `json:"height"`
	W      float64     `json:"w"` // normalised window size
	H      float64     `json:"h"`
	Scenes []int       `json:"scenes"` // first frame of each scene
	Frames []CropFrame `json:"frames"`
}

// Judgement is the output of resolution judgement.
type Judgement struct {
	Kind      Kind    `json:"kind"`
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	Sampled   int     `json:"sampled"`   // frames examined
	Sharpness float64 `json:"sharpness"` // mean variance of the Laplacian of luma
	Factor    int     `json:"factor"`    // upscaling factor HD should apply (1 = none)
	Reason    string  `json:"reason"`
}

// writeJSON writes an artifact as indented JSON.
func writeJSON(p string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(p, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("functions: %w", err)
	}
	return nil
}

// readJSON reads a JSON artifact and checks its kind.
func readJSON(p string, kind Kind, v any) error {
	b, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("functions: %w", err)
	}
	var k struct {
		Kind Kind `json:"kind"`
	}
	if err := json.Unmarshal(b, &k); err != nil {
		return fmt.Errorf("functions: %s: %w", p, err)
	}
	if k.Kind != kind {
		return fmt.Errorf("functions: %s holds %q, want %q", p, k.Kind, kind)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("functions: %s: %w", p, err)
	}
	return nil
}

// Sniff tells an artifact's kind from its content: a tar's manifest, a JSON
// document's "kind", otherwise a video container (MP4 "ftyp", Matroska, AVI
// or MPEG-TS).
func Sniff(p string) (Kind, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("functions: %w", err)
	}
	defer f.Close()
	head := make([]byte, 1024)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case n >= 262 && string(head[257:262]) == "ustar":
		var kind Kind
		err := readTar(p, func(name string, data []byte) error {
			if name != manifestName {
				return errors.New("first entry is not manifest.json")
			}
			var m struct {
				Kind Kind `json:"kind"`
			}
			if err := json.Unmarshal(data, &m); err != nil {
				return err
			}
			kind = m.Kind
			return io.EOF
		})
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("functions: %s: %w", p, err)
		}
		return kind, nil
	case len(bytes.TrimSpace(head)) > 0 && bytes.TrimSpace(head)[0] == '{':
		b, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		var m struct {
			Kind Kind `json:"kind"`
		}
		if err := json.Unmarshal(b, &m); err != nil || m.Kind == "" {
			return "", fmt.Errorf("functions: %s: JSON without a \"kind\"", p)
		}
		return m.Kind, nil
	case n >= 8 && string(head[4:8]) == "ftyp",
		n >= 4 && bytes.Equal(head[:4], []byte{0x1a, 0x45, 0xdf, 0xa3}),
		n >= 4 && string(head[:4]) == "RIFF",
		n >= 1 && head[0] == 0x47:
		return KindVideo, nil
	}
	return "", fmt.Errorf("functions: %s: not a video, frames/rois tar or JSON artifact", p)
}

// inputs groups a call's input files by kind.
type inputs map[Kind][]string

func (in inputs) one(k Kind) (string, error) {
	switch ps := in[k]; len(ps) {
	case 1:
		return ps[0], nil
	case 0:
		return "", fmt.Errorf("%w: want one %s input, got none (inputs: %s)", ErrInput, k, in)
	default:
		return "", fmt.Errorf("%w: want one %s input, got %d", ErrInput, k, len(ps))
	}
}

func (in inputs) optional(k Kind) (string, error) {
	if len(in[k]) == 0 {
		return "", nil
	}
	return in.one(k)
}

func (in inputs) String() string {
	var parts []string
	for k, ps := range in {
		parts = append(parts, fmt.Sprintf("%s×%d", k, len(ps)))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
