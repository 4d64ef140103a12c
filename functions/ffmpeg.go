package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// ErrNoFFmpeg is returned when a function needs ffmpeg and it is not
// installed; functions/install-deps.sh installs Debian's package.
var ErrNoFFmpeg = errors.New("functions: ffmpeg not found on PATH (install it with functions/install-deps.sh, or set CNAV_FFMPEG)")

// FFmpegPath is the ffmpeg binary: $CNAV_FFMPEG, else ffmpeg on PATH.
func FFmpegPath() (string, error) {
	return lookTool("CNAV_FFMPEG", "ffmpeg")
}

func ffprobePath() (string, error) {
	return lookTool("CNAV_FFPROBE", "ffprobe")
}

func lookTool(env, name string) (string, error) {
	if v := os.Getenv(env); v != "" {
		name = v
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", ErrNoFFmpeg
	}
	return p, nil
}

// childPeak is the largest max RSS of an ffmpeg child in the current
// invocation (KiB); Invoke resets it.
var childPeak struct {
	sync.Mutex
	kb int64
}

func noteChild(ps *os.ProcessState) {
	if ps == nil {
		return
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		childPeak.Lock()
		childPeak.kb = max(childPeak.kb, ru.Maxrss)
		childPeak.Unlock()
	}
}

// runFFmpeg runs ffmpeg with args (quiet, no stdin unless given) and returns
// its stderr in the error when it fails.
func runFFmpeg(ctx context.Context, stdin io.Reader, args ...string) error {
	bin, err := FFmpegPath()
	if err != nil {
		return err
	}
	full := append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)
	if stdin == nil {
		full = append([]string{"-nostdin"}, full...)
	}
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	noteChild(cmd.ProcessState)
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		return fmt.Errorf("functions: ffmpeg %s: %w: %s", strings.Join(args, " "), err, msg)
	}
	return nil
}

// VideoInfo is what ffprobe reports of a clip's first video stream.
type VideoInfo struct {
	Width   int     `json:"width"`
	Height  int     `json:"height"`
	FPS     float64 `json:"fps"`
	Frames  int     `json:"frames"`
	Seconds float64 `json:"seconds"`
	Codec   string  `json:"codec"`
}

// Probe reports a clip's video stream with ffprobe (frames are counted by
// decoding when the container does not say).
func Probe(ctx context.Context, p string) (VideoInfo, error) {
	bin, err := ffprobePath()
	if err != nil {
		return VideoInfo{}, err
	}
	out, err := exec.CommandContext(ctx, bin, "-v", "error", "-select_streams", "v:0", "-count_frames",
		"-show_entries", "stream=width,height,r_frame_rate,nb_read_frames,codec_name:format=duration",
		"-of", "json", p).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return VideoInfo{}, fmt.Errorf("functions: ffprobe %s: %s", p, strings.TrimSpace(string(ee.Stderr)))
		}
		return VideoInfo{}, fmt.Errorf("functions: ffprobe %s: %w", p, err)
	}
	var doc struct {
		Streams []struct {
			Width     int    `json:"width"`
			Height    int    `json:"height"`
			Rate      string `json:"r_frame_rate"`
			NbFrames  string `json:"nb_read_frames"`
			CodecName string `json:"codec_name"`
		} `json:"streams"`
		Format struct {
			Duration string `json:"duration"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &doc); err != nil || len(doc.Streams) == 0 {
		return VideoInfo{}, fmt.Errorf("functions: ffprobe %s: no video stream", p)
	}
	s := doc.Streams[0]
	info := VideoInfo{Width: s.Width, Height: s.Height, Codec: s.CodecName}
	if num, den, ok := strings.Cut(s.Rate, "/"); ok {
		n, _ := strconv.ParseFloat(num, 64)
		d, _ := strconv.ParseFloat(den, 64)
		if d > 0 {
			info.FPS = n / d
		}
	}
	info.Frames, _ = strconv.Atoi(s.NbFrames)
	info.Seconds, _ = strconv.ParseFloat(doc.Format.Duration, 64)
	return info, nil
}

// readJPEGDir reads the numbered JPEGs ffmpeg wrote into dir, in order.
func readJPEGDir(dir string) ([][]byte, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.jpg"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([][]byte, 0, len(names))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("functions: ffmpeg wrote no frames into %s", dir)
	}
	return out, nil
}

// filterFrames runs an ffmpeg video filter over JPEG frames through /tmp
// (the local I/O a Lambda ffmpeg function does) and returns the new frames.
func filterFrames(ctx context.Context, tmp string, f *Frames, vf string) ([][]byte, error) {
	in, err := os.MkdirTemp(tmp, "in-")
	if err != nil {
		return nil, err
	}
	out, err := os.MkdirTemp(tmp, "out-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(in)
	defer os.RemoveAll(out)
	for i, b := range f.JPEG {
		if err := os.WriteFile(filepath.Join(in, fmt.Sprintf("%06d.jpg", i)), b, 0o644); err != nil {
			return nil, err
		}
	}
	err = runFFmpeg(ctx, nil, "-framerate", fmtFloat(f.FPS), "-start_number", "0", "-i", filepath.Join(in, "%06d.jpg"),
		"-vf", vf, "-q:v", "2", "-start_number", "0", filepath.Join(out, "%06d.jpg"))
	if err != nil {
		return nil, err
	}
	return readJPEGDir(out)
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// even rounds to the nearest even number of at least 2 (chroma subsampling
// needs even sizes).
func even(v float64) int {
	n := int(v/2+0.5) * 2
	return max(n, 2)
}
