package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/platform"
	"github.com/confignav/confignav/video"
)

// Settings are the live backend's knobs. DefaultSettings gives values for
// real AWS; tests against a local server shorten the waits.
type Settings struct {
	// JournalPath is where the journal of original configurations is
	// written before the first change (required).
	JournalPath string
	// MaxUSD caps the dollars this backend may spend on measurements: every
	// Run and Invoke is estimated before it starts and refused (ErrBudget)
	// when spent + estimate would exceed it.
	MaxUSD float64
	// Safety multiplies measured durations in the cost estimate (default 1.5).
	Safety float64
	// Input is the clip features sent with each request; ClipURI, when set,
	// is passed too so that real functions can fetch the clip.
	Input   video.Input
	ClipURI string
	// InvocationType overrides the binding's (RequestResponse or Event).
	InvocationType string
	// PollInterval is how often CloudWatch Logs is read during a run
	// (default 2 s).
	PollInterval time.Duration
	// SettleTimeout is how long a run waits, after its last invocation
	// returned, for the logs of every request (default 2 min); requests
	// still incomplete then count as failed.
	SettleTimeout time.Duration
	// ClockSkew widens the log query window (default 5 s): log timestamps come
	// from AWS's clock, request times from this machine's.
	ClockSkew time.Duration
	// MaxInFlight bounds concurrent Invoke calls (default 64).
	MaxInFlight int
	// LogPageSize is FilterLogEvents' page size (0: the service default).
	LogPageSize int32
	// Updater tunes memory updates (conflict retries, waiter).
	Updater Updater
	// Log receives progress lines (never secrets); nil discards.
	Log io.Writer
}

// DefaultSettings are the settings for real AWS.
func DefaultSettings() Settings {
	return Settings{MaxUSD: 1, Safety: 1.5, Input: video.Reference, PollInterval: 2 * time.Second,
		SettleTimeout: 2 * time.Minute, ClockSkew: 5 * time.Second, MaxInFlight: 64}
}

// Validate reports settings that cannot work.
func (s *Settings) Validate() error {
	var errs []error
	if s.JournalPath == "" {
		errs = append(errs, errors.New("live: settings: a journal path is required"))
	}
	if !(s.MaxUSD > 0) {
		errs = append(errs, fmt.Errorf("live: settings: max USD %v: want a positive cap", s.MaxUSD))
	}
	if !(s.Safety >= 1) {
		errs = append(errs, fmt.Errorf("live: settings: safety factor %v: want at least 1", s.Safety))
	}
	if s.PollInterval <= 0 || s.SettleTimeout <= 0 || s.ClockSkew < 0 || s.MaxInFlight < 1 || s.LogPageSize < 0 {
		errs = append(errs, errors.New("live: settings: poll interval, settle timeout and max in-flight must be positive"))
	}
	switch s.InvocationType {
	case "", "RequestResponse", "Event":
	default:
		errs = append(errs, fmt.Errorf("live: settings: invocation type %q: want RequestResponse or Event", s.InvocationType))
	}
	if err := s.Input.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("live: settings: input: %w", err))
	}
	return errors.Join(errs...)
}

// ErrBudget is returned when a measurement would exceed the dollar cap.
var ErrBudget = errors.New("live: dollar cap reached")

// ErrNoProfiler is returned by Profile when no profiler is configured.
var ErrNoProfiler = errors.New("live: no profiler: basic-operation features come from a local run of the real function (functions/), which is not wired to this backend")

// Profiler measures a function's basic-operation features (the paper's
// Table 2) from one run.
type Profiler interface {
	Profile(ctx context.Context, function string, in video.Input) (backend.Features, error)
}

// Backend is a pipeline deployed on AWS Lambda. It implements
// backend.Backend and backend.Invoker. Apply, Run and Invoke must not be
// called concurrently with each other, except that a Run's sink may call
// Apply (the online controller does).
type Backend struct {
	// Profiler, when set, answers Profile.
	Profiler Profiler

	c    Clients
	bind *Binding
	dag  *pipeline.DAG
	plat *platform.Profile
	set  Settings

	mu        sync.Mutex
	config    backend.Config
	original  backend.Config
	timeoutMs map[string]float64
	docOrig   []byte
	docExists bool
	docVer    int
	docOurs   bool // the document at the key was written by this backend
	journaled bool
	region    string
	endpoint  string

	origin time.Time
	token  string
	seq    uint64
	spent  float64
	est    estimator
	last   RunDiagnostics
}

// Open connects to the deployed pipeline: it reads every function's current
// configuration and the configuration document. It changes nothing and
// writes no journal; it refuses to start when the journal of an unfinished
// session is at the journal path.
func Open(ctx context.Context, c Clients, bind *Binding, dag *pipeline.DAG, plat *platform.Profile, s Settings) (*Backend, error) {
	if err := bind.Check(dag); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.InvocationType == "" {
		s.InvocationType = bind.InvocationType
	}
	if s.ClipURI == "" {
		s.ClipURI = bind.Input
	}
	if _, err := os.Stat(s.JournalPath); err == nil {
		return nil, fmt.Errorf("%w at %s: its originals would be lost; run cnav live restore --journal %s first", ErrJournalExists, s.JournalPath, s.JournalPath)
	}
	s.Updater.Lambda = c.Lambda
	now := time.Now()
	b := &Backend{c: c, bind: bind, dag: dag, plat: plat, set: s, config: backend.Config{}, timeoutMs: map[string]float64{},
		origin: now, token: strconv.FormatUint(uint64(now.UnixNano()), 36), endpoint: c.Endpoint}
	b.est.init()
	for _, node := range dag.Names() {
		fn := bind.Functions[node]
		out, err := c.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)})
		if err != nil {
			return nil, explain(err, c.Endpoint, fmt.Sprintf("read the configuration of %s (%s)", node, fn))
		}
		b.config[node] = int(aws.ToInt32(out.MemorySize))
		b.timeoutMs[node] = float64(aws.ToInt32(out.Timeout)) * 1000
		if b.timeoutMs[node] <= 0 {
			b.timeoutMs[node] = plat.TimeoutS * 1000
		}
	}
	b.original = b.config.Clone()
	doc, err := b.getObject(ctx)
	if err != nil {
		return nil, err
	}
	if doc != nil {
		b.docOrig, b.docExists = doc, true
		var d Document
		if json.Unmarshal(doc, &d) == nil && d.Pipeline == dag.Name {
			b.docVer = d.Version
		}
	}
	return b, nil
}

// getObject reads the configuration document; nil when it does not exist.
func (b *Backend) getObject(ctx context.Context) ([]byte, error) {
	out, err := b.c.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.bind.Bucket), Key: aws.String(b.bind.Key)})
	if err != nil {
		var nk *s3types.NoSuchKey
		if errors.As(err, &nk) || errorCode(err) == "NoSuchKey" {
			return nil, nil
		}
		return nil, explain(err, b.c.Endpoint, "read s3://"+b.bind.Bucket+"/"+b.bind.Key)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, explain(err, b.c.Endpoint, "read s3://"+b.bind.Bucket+"/"+b.bind.Key)
	}
	return data, nil
}

// SetRegion records the region and endpoint in the journal, so that
// cnav live restore finds the account without flags.
func (b *Backend) SetRegion(region, endpoint string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.region, b.endpoint = region, endpoint
}

// Document is the configuration document in S3 (paper §3.3.3): every
// function reads it to learn its sub-functions' settings. Version grows by
// one with every write.
type Document struct {
	Version   int               `json:"version"`
	Contract  int               `json:"contract"`
	Pipeline  string            `json:"pipeline"`
	Config    backend.Config    `json:"config"`
	Functions map[string]string `json:"functions"`
	Reason    string            `json:"reason,omitempty"`
	Written   time.Time         `json:"written"`
}

// Platform is the platform profile prices and limits come from.
func (b *Backend) Platform() *platform.Profile { return b.plat }

// Pipeline is the pipeline.
func (b *Backend) Pipeline() *pipeline.DAG { return b.dag }

// Binding is the binding.
func (b *Backend) Binding() *Binding { return b.bind }

// Original is the configuration found at Open.
func (b *Backend) Original() backend.Config { return b.original.Clone() }

// Config returns the configuration in force.
func (b *Backend) Config() backend.Config {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.config.Clone()
}

// Now is the time since Open in microseconds: the clock records are on.
func (b *Backend) Now() int64 { return time.Since(b.origin).Microseconds() }

// SpentUSD is what the measurements so far cost.
func (b *Backend) SpentUSD() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.spent
}

// DocumentVersion is the version of the last configuration document written.
func (b *Backend) DocumentVersion() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.docVer
}

// Apply sets memory sizes (see ApplyReason).
func (b *Backend) Apply(ctx context.Context, c backend.Config) error {
	return b.ApplyReason(ctx, c, "apply")
}

// ApplyReason sets the memory of the named functions and writes a new
// version of the configuration document with reason. Every name and size is
// checked before anything changes; the journal is written before the first
// change. Functions already at their size are not updated.
func (b *Backend) ApplyReason(ctx context.Context, c backend.Config, reason string) error {
	return b.apply(ctx, c, reason, false)
}

func (b *Backend) apply(ctx context.Context, c backend.Config, reason string, forceDoc bool) error {
	var errs []error
	for _, name := range sortedKeys(c) {
		if _, ok := b.dag.Lookup(name); !ok {
			errs = append(errs, fmt.Errorf("live: unknown function %q in configuration (pipeline %s has %v)", name, b.dag.Name, b.dag.Names()))
			continue
		}
		if err := b.plat.CheckMemory(c[name]); err != nil {
			errs = append(errs, fmt.Errorf("live: function %q: %w", name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	b.mu.Lock()
	var change []string
	for _, name := range sortedKeys(c) {
		if b.config[name] != c[name] {
			change = append(change, name)
		}
	}
	write := len(change) > 0 || !b.docOurs || forceDoc
	b.mu.Unlock()
	if !write {
		return nil
	}
	if err := b.ensureJournal(); err != nil {
		return err
	}
	for _, name := range change {
		fn := b.bind.Functions[name]
		if err := b.set.Updater.SetMemory(ctx, fn, c[name]); err != nil {
			// The function may or may not have changed: re-read it.
			b.refresh(context.WithoutCancel(ctx), name)
			return explain(err, b.c.Endpoint, "apply "+name)
		}
		b.mu.Lock()
		b.config[name] = c[name]
		b.mu.Unlock()
		b.logf("apply %s (%s): %d MB", name, fn, c[name])
	}
	return b.writeDocument(ctx, reason)
}

func (b *Backend) refresh(ctx context.Context, name string) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := b.c.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(b.bind.Functions[name])})
	if err == nil {
		b.mu.Lock()
		b.config[name] = int(aws.ToInt32(out.MemorySize))
		b.mu.Unlock()
	}
}

// writeDocument writes the next version of the configuration document.
func (b *Backend) writeDocument(ctx context.Context, reason string) error {
	b.mu.Lock()
	d := Document{Version: b.docVer + 1, Contract: ContractVersion, Pipeline: b.dag.Name, Config: b.config.Clone(),
		Functions: map[string]string{}, Reason: reason, Written: time.Now().UTC()}
	for k, v := range b.bind.Functions {
		d.Functions[k] = v
	}
	b.mu.Unlock()
	data, _ := json.MarshalIndent(d, "", "  ")
	_, err := b.c.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.bind.Bucket), Key: aws.String(b.bind.Key),
		Body: bytesReader(data), ContentType: aws.String("application/json")})
	if err != nil {
		return explain(err, b.c.Endpoint, "write the configuration document s3://"+b.bind.Bucket+"/"+b.bind.Key)
	}
	b.mu.Lock()
	b.docVer, b.docOurs = d.Version, true
	b.mu.Unlock()
	return nil
}

// ReadDocument reads the configuration document now in S3.
func (b *Backend) ReadDocument(ctx context.Context) (*Document, error) {
	data, err := b.getObject(ctx)
	if err != nil {
		return nil, err
	}
	if data == nil {
		return nil, fmt.Errorf("live: no configuration document at s3://%s/%s", b.bind.Bucket, b.bind.Key)
	}
	var d Document
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("live: configuration document s3://%s/%s: %w", b.bind.Bucket, b.bind.Key, err)
	}
	return &d, nil
}

// Journal is the journal this backend writes before its first change.
func (b *Backend) Journal() *Journal {
	b.mu.Lock()
	defer b.mu.Unlock()
	j := &Journal{Version: JournalVersion, Created: b.origin.UTC(), Pipeline: b.dag.Name, Region: b.region, EndpointURL: b.endpoint,
		Document: JournalDocument{Bucket: b.bind.Bucket, Key: b.bind.Key, Existed: b.docExists, Original: b.docOrig}}
	for _, node := range b.dag.Names() {
		j.Functions = append(j.Functions, JournalFunction{Node: node, Function: b.bind.Functions[node], MemoryMB: b.original[node]})
	}
	return j
}

// JournalPath is where the journal is (or will be) written.
func (b *Backend) JournalPath() string { return b.set.JournalPath }

// Journaled reports whether the journal has been written (something may
// have changed).
func (b *Backend) Journaled() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.journaled
}

func (b *Backend) ensureJournal() error {
	b.mu.Lock()
	done := b.journaled
	b.mu.Unlock()
	if done {
		return nil
	}
	if err := WriteJournal(b.set.JournalPath, b.Journal()); err != nil {
		return err
	}
	b.mu.Lock()
	b.journaled = true
	b.mu.Unlock()
	b.logf("journal of the original configuration written to %s", b.set.JournalPath)
	return nil
}

// Restore puts back the original configuration and document and removes
// the journal. When it fails, the journal stays and the error says how to
// finish with cnav live restore.
func (b *Backend) Restore(ctx context.Context) error {
	if !b.Journaled() {
		return nil
	}
	o := RestoreOptions{Updater: b.set.Updater, Log: b.set.Log}
	if err := RestoreFile(ctx, b.c, b.set.JournalPath, o); err != nil {
		return err
	}
	b.mu.Lock()
	b.config = b.original.Clone()
	b.journaled, b.docOurs = false, false
	b.mu.Unlock()
	return nil
}

// Commit keeps the configuration in force on purpose: the journal is removed
// and the originals are no longer restored.
func (b *Backend) Commit() error {
	if !b.Journaled() {
		return nil
	}
	if err := os.Remove(b.set.JournalPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("live: remove the journal: %w", err)
	}
	b.mu.Lock()
	b.journaled = false
	b.mu.Unlock()
	return nil
}

// Profile asks the configured Profiler.
func (b *Backend) Profile(ctx context.Context, function string, in video.Input) (backend.Features, error) {
	if _, ok := b.dag.Lookup(function); !ok {
		return backend.Features{}, fmt.Errorf("live: unknown function %q (pipeline %s has %v)", function, b.dag.Name, b.dag.Names())
	}
	if b.Profiler == nil {
		return backend.Features{}, ErrNoProfiler
	}
	return b.Profiler.Profile(ctx, function, in)
}

func (b *Backend) logf(format string, args ...any) {
	if b.set.Log != nil {
		fmt.Fprintf(b.set.Log, "live: "+format+"\n", args...)
	}
}

// nodeIndex is a node's index in the pipeline.
func (b *Backend) nodeIndex(node string) int32 {
	i, _ := b.dag.Lookup(node)
	return int32(i)
}

var _ backend.Backend = (*Backend)(nil)
var _ backend.Invoker = (*Backend)(nil)
