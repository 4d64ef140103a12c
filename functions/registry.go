package functions

import (
	"context"
	"errors"
	"fmt"
	"image"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrUnknown is returned for a function name that is not in the registry.
var ErrUnknown = errors.New("functions: unknown function")

// ErrInput is returned when a call's inputs or arguments do not fit the
// function.
var ErrInput = errors.New("functions: bad input")

// Arg is one named argument a function accepts.
type Arg struct {
	Name    string
	Default string
	Help    string
}

// Func is one real function of the built-in pipelines.
type Func struct {
	Name    string
	Summary string // what the function really does (the method, named)
	Inputs  string // the artifacts it reads
	Output  Kind
	FFmpeg  bool // whether it runs ffmpeg
	Args    []Arg

	init    func() error // static initialisation, once per process (the cold start)
	run     func(ctx context.Context, c *call) error
	once    sync.Once
	initErr error
}

// Init runs the function's static initialisation once per process and
// reports its error (a Lambda cold start does this before the first event).
func (f *Func) Init() error {
	f.once.Do(func() {
		if f.init != nil {
			f.initErr = f.init()
		}
	})
	return f.initErr
}

var registry = map[string]*Func{}

func register(f *Func) {
	if _, dup := registry[f.Name]; dup {
		panic("functions: duplicate function " + f.Name)
	}
	registry[f.Name] = f
}

// Lookup returns the named function.
func Lookup(name string) (*Func, error) {
	f, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("%w %q (functions: %s)", ErrUnknown, name, strings.Join(Names(), ", "))
	}
	return f, nil
}

// Names lists the functions in name order.
func Names() []string {
	return slices.Sorted(maps.Keys(registry))
}

// Request is one invocation: inputs and output are local paths or S3 URIs
// (s3://bucket/key).
type Request struct {
	Inputs []string          `json:"inputs"`
	Output string            `json:"output"`
	Args   map[string]string `json:"args,omitempty"`
}

// Result is what an invocation did.
type Result struct {
	Function string `json:"function"`
	Output   string `json:"output"`
	Kind     Kind   `json:"kind"`
	// DurationMs is the handler's time, init excluded (Lambda's "Duration").
	DurationMs float64 `json:"duration_ms"`
	// Pipeline data the wrapper moved: bytes and objects read from the inputs
	// and written to the output (files here, S3 objects on Lambda).
	BytesIn    int64 `json:"bytes_in"`
	BytesOut   int64 `json:"bytes_out"`
	ObjectsIn  int   `json:"objects_in"`
	ObjectsOut int   `json:"objects_out"`
	Remote     bool  `json:"remote"` // data moved through S3
	// ChildPeakKB is the largest max RSS of an ffmpeg child (KiB, 0 if none).
	ChildPeakKB int64 `json:"child_peak_kb,omitempty"`
	// Notes are facts about the output (frames, faces found, …) for tests
	// and logs.
	Notes map[string]any `json:"notes,omitempty"`
}

// call is one invocation as a function sees it: local input files grouped by
// kind, a local output path, arguments and a private temporary directory.
type call struct {
	in    inputs
	out   string
	args  map[string]string
	spec  []Arg
	tmp   string
	notes map[string]any
}

func (c *call) note(k string, v any) { c.notes[k] = v }

func (c *call) arg(name string) string {
	if v, ok := c.args[name]; ok {
		return v
	}
	for _, a := range c.spec {
		if a.Name == name {
			return a.Default
		}
	}
	panic("functions: undeclared argument " + name)
}

func (c *call) argFloat(name string, lo, hi float64) (float64, error) {
	v, err := strconv.ParseFloat(c.arg(name), 64)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%w: argument %s=%q, want a number in [%v, %v]", ErrInput, name, c.arg(name), lo, hi)
	}
	return v, nil
}

func (c *call) argInt(name string, lo, hi int) (int, error) {
	v, err := strconv.Atoi(c.arg(name))
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%w: argument %s=%q, want a whole number in [%d, %d]", ErrInput, name, c.arg(name), lo, hi)
	}
	return v, nil
}

// Invoke runs the named function on a request: it initialises the function
// (once per process), fetches S3 inputs into a temporary directory, runs the
// function and stores the output.
func Invoke(ctx context.Context, name string, req Request) (*Result, error) {
	f, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if err := f.Init(); err != nil {
		return nil, fmt.Errorf("functions: %s: init: %w", name, err)
	}
	return f.invoke(ctx, req)
}

func (f *Func) invoke(ctx context.Context, req Request) (*Result, error) {
	start := time.Now()
	if len(req.Inputs) == 0 {
		return nil, fmt.Errorf("%w: %s needs inputs (%s)", ErrInput, f.Name, f.Inputs)
	}
	if req.Output == "" {
		return nil, fmt.Errorf("%w: %s needs an output", ErrInput, f.Name)
	}
	for k := range req.Args {
		if !slices.ContainsFunc(f.Args, func(a Arg) bool { return a.Name == k }) {
			return nil, fmt.Errorf("%w: %s takes no argument %q (arguments: %s)", ErrInput, f.Name, k, argNames(f.Args))
		}
	}
	tmp, err := os.MkdirTemp("", "cnav-"+f.Name+"-")
	if err != nil {
		return nil, fmt.Errorf("functions: %w", err)
	}
	defer os.RemoveAll(tmp)
	childPeak.Lock()
	childPeak.kb = 0
	childPeak.Unlock()

	res := &Result{Function: f.Name, Output: req.Output}
	c := &call{in: inputs{}, args: req.Args, spec: f.Args, tmp: tmp, notes: map[string]any{}}
	for i, in := range req.Inputs {
		local := in
		if isS3(in) {
			local = filepath.Join(tmp, fmt.Sprintf("input-%d", i))
			n, err := s3Get(ctx, in, local)
			if err != nil {
				return nil, err
			}
			res.BytesIn += n
			res.Remote = true
		} else {
			st, err := os.Stat(in)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrInput, err)
			}
			res.BytesIn += st.Size()
		}
		res.ObjectsIn++
		k, err := Sniff(local)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInput, err)
		}
		c.in[k] = append(c.in[k], local)
	}
	localOut := filepath.Join(tmp, "output")
	if !isS3(req.Output) {
		if err := os.MkdirAll(filepath.Dir(req.Output), 0o755); err != nil {
			return nil, fmt.Errorf("functions: %w", err)
		}
		// Written beside the destination and renamed: a failed call leaves no
		// partial output.
		localOut = req.Output + ".partial"
		defer os.Remove(localOut)
	}
	c.out = localOut
	if err := f.run(ctx, c); err != nil {
		return nil, fmt.Errorf("functions: %s: %w", f.Name, err)
	}
	st, err := os.Stat(localOut)
	if err != nil {
		return nil, fmt.Errorf("functions: %s wrote no output: %w", f.Name, err)
	}
	res.BytesOut = st.Size()
	res.ObjectsOut = 1
	if isS3(req.Output) {
		if err := s3Put(ctx, localOut, req.Output); err != nil {
			return nil, err
		}
		res.Remote = true
	} else if err := os.Rename(localOut, req.Output); err != nil {
		return nil, fmt.Errorf("functions: %w", err)
	}
	res.Kind = f.Output
	res.Notes = c.notes
	childPeak.Lock()
	res.ChildPeakKB = childPeak.kb
	childPeak.Unlock()
	res.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

func argNames(as []Arg) string {
	if len(as) == 0 {
		return "none"
	}
	names := make([]string, len(as))
	for i, a := range as {
		names[i] = a.Name
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// workers is the number of goroutines a data-parallel function uses: the
// runtime's GOMAXPROCS, which since Go 1.25 follows the cgroup CPU limit.
func workers() int { return runtime.GOMAXPROCS(0) }

// parallel runs fn(i) for i in [0, n) on workers() goroutines and returns
// the first error.
func parallel(ctx context.Context, n int, fn func(i int) error) error {
	w := min(workers(), n)
	var (
		mu    sync.Mutex
		next  int
		first error
		wg    sync.WaitGroup
	)
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if first != nil || next >= n {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				err := ctx.Err()
				if err == nil {
					err = fn(i)
				}
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// parallelFrames decodes every frame and calls fn on it, in parallel.
func parallelFrames(f *Frames, fn func(i int, img image.Image) error) error {
	return parallel(context.Background(), f.Count, func(i int) error {
		img, err := f.Decode(i)
		if err != nil {
			return err
		}
		return fn(i, img)
	})
}
