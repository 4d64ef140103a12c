package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/confignav/confignav/internal/atomicfile"
	"github.com/confignav/confignav/platform"
)

// MaxTimeoutS is the longest function timeout Lambda accepts, seconds.
const MaxTimeoutS = 900

// JournalVersion is the journal format this package reads and writes.
const JournalVersion = 1

// Journal records what a live session found before it changed anything, so
// that the originals can be put back after an abort, even by another process
// (cnav live restore --journal FILE). It is written atomically before the
// first change and removed once the originals are restored or the session
// keeps its result on purpose (Commit).
type Journal struct {
	Version     int               `json:"version"`
	Created     time.Time         `json:"created"`
	Pipeline    string            `json:"pipeline"`
	Region      string            `json:"region,omitempty"`
	EndpointURL string            `json:"endpoint_url,omitempty"`
	Functions   []JournalFunction `json:"functions"`
	Document    JournalDocument   `json:"config_document"`
}

// JournalFunction is one function's original configuration.
type JournalFunction struct {
	Node     string `json:"node"`
	Function string `json:"function"` // name or ARN, as in the binding
	MemoryMB int    `json:"memory_mb"`
}

// JournalDocument is the configuration document as it was.
type JournalDocument struct {
	Bucket   string `json:"bucket"`
	Key      string `json:"key"`
	Existed  bool   `json:"existed"`
	Original []byte `json:"original,omitempty"` // base64 in the file
}

// ErrJournalExists is returned when a journal from an unfinished session is
// in the way: its originals would be lost if a new session overwrote it.
var ErrJournalExists = errors.New("live: a journal of an unfinished session exists")

// WriteJournal writes j to path atomically.
func WriteJournal(path string, j *Journal) error {
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return fmt.Errorf("live: journal: %w", err)
	}
	if err := atomicfile.WriteFile(path, append(b, '\n')); err != nil {
		return fmt.Errorf("live: journal: %w", err)
	}
	return nil
}

// ReadJournal reads a journal file.
func ReadJournal(path string) (*Journal, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("live: journal: %w", err)
	}
	var j Journal
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("live: journal %s: %w", path, err)
	}
	if j.Version != JournalVersion {
		return nil, fmt.Errorf("live: journal %s: version %d, this build reads version %d", path, j.Version, JournalVersion)
	}
	if len(j.Functions) == 0 || j.Document.Bucket == "" || j.Document.Key == "" {
		return nil, fmt.Errorf("live: journal %s: no functions or no configuration document", path)
	}
	if err := j.Validate(); err != nil {
		return nil, fmt.Errorf("live: journal %s: %w", path, err)
	}
	return &j, nil
}

// Validate checks what a restore would apply: every function named, and
// every memory size one Lambda accepts (the default platform profile's range,
// 128–10,240 MB). A damaged or hand-edited journal must not set 99,999 MB.
func (j *Journal) Validate() error {
	plat := platform.Default()
	for i, f := range j.Functions {
		if f.Function == "" {
			return fmt.Errorf("functions[%d] (node %q) names no function", i, f.Node)
		}
		if err := plat.CheckMemory(f.MemoryMB); err != nil {
			return fmt.Errorf("function %s (node %s): %w", f.Function, f.Node, err)
		}
	}
	return nil
}

// RestoreOptions tune a restore.
type RestoreOptions struct {
	Updater Updater
	// Log receives one line per action (never secrets); nil discards.
	Log io.Writer
}

// Restore puts back every function's original memory and the original
// configuration document. It tries every item even when one fails and
// reports all failures together. It does not remove the journal file: the
// caller does once Restore returns nil.
func Restore(ctx context.Context, c Clients, j *Journal, o RestoreOptions) error {
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	if err := j.Validate(); err != nil {
		return fmt.Errorf("live: journal: %w", err)
	}
	u := o.Updater
	u.Lambda = c.Lambda
	var errs []error
	for _, f := range j.Functions {
		out, err := c.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(f.Function)})
		if err != nil {
			errs = append(errs, explain(err, c.Endpoint, "restore "+f.Node))
			continue
		}
		if int(aws.ToInt32(out.MemorySize)) == f.MemoryMB {
			logf("restore %s (%s): memory %d MB already original", f.Node, f.Function, f.MemoryMB)
			continue
		}
		if err := u.SetMemory(ctx, f.Function, f.MemoryMB); err != nil {
			errs = append(errs, explain(err, c.Endpoint, "restore "+f.Node))
			continue
		}
		logf("restore %s (%s): memory %d → %d MB", f.Node, f.Function, aws.ToInt32(out.MemorySize), f.MemoryMB)
	}
	d := j.Document
	if d.Existed {
		_, err := c.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(d.Bucket), Key: aws.String(d.Key),
			Body: bytesReader(d.Original), ContentType: aws.String("application/json")})
		if err != nil {
			errs = append(errs, explain(err, c.Endpoint, "restore s3://"+d.Bucket+"/"+d.Key))
		} else {
			logf("restore s3://%s/%s: original document written back", d.Bucket, d.Key)
		}
	} else {
		_, err := c.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(d.Bucket), Key: aws.String(d.Key)})
		if err != nil {
			errs = append(errs, explain(err, c.Endpoint, "restore s3://"+d.Bucket+"/"+d.Key))
		} else {
			logf("restore s3://%s/%s: removed (there was no document before)", d.Bucket, d.Key)
		}
	}
	return errors.Join(errs...)
}

// RestoreFile restores from a journal file and removes the file when every
// original is back.
func RestoreFile(ctx context.Context, c Clients, path string, o RestoreOptions) error {
	j, err := ReadJournal(path)
	if err != nil {
		return err
	}
	if err := Restore(ctx, c, j, o); err != nil {
		return fmt.Errorf("%w\nlive: the journal %s is kept; run cnav live restore --journal %s again when the endpoint is reachable", err, path, path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("live: originals restored, but the journal could not be removed: %w", err)
	}
	return nil
}
