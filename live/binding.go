package live

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/confignav/confignav/internal/yamljson"
	"github.com/confignav/confignav/pipeline"
)

// Binding ties a pipeline's nodes to deployed Lambda functions and names the
// S3 object of the configuration document. It is read from a YAML or JSON
// file:
//
//	pipeline: face-detection                  # optional; checked against --pipeline
//	functions:                                # every pipeline node: a name or an ARN
//	  decode: cnav-decode
//	  face-detect: arn:aws:lambda:us-east-1:123456789012:function:cnav-face-detect
//	config_document: s3://cnav-config/face-detection/config.json
//	invocation_type: RequestResponse          # or Event (default RequestResponse)
//	input: s3://cnav-data/clips/reference.mp4 # optional: the clip passed in the payload
//	log_groups:                               # optional per node (default /aws/lambda/<name>)
//	  decode: /aws/lambda/cnav-decode
type Binding struct {
	Pipeline       string            `json:"pipeline,omitempty"`
	Functions      map[string]string `json:"functions"`
	ConfigDocument string            `json:"config_document"`
	InvocationType string            `json:"invocation_type,omitempty"`
	Input          string            `json:"input,omitempty"`
	LogGroups      map[string]string `json:"log_groups,omitempty"`

	// Filled by Validate.
	Bucket string `json:"-"`
	Key    string `json:"-"`
}

// ReadBinding reads and parses a binding file.
func ReadBinding(path string) (*Binding, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("live: binding: %w", err)
	}
	b, err := ParseBinding(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// ParseBinding parses a binding document (YAML or JSON). Unknown fields are
// errors, so a misspelt key does not silently fall back to a default.
func ParseBinding(data []byte) (*Binding, error) {
	js, err := yamljson.ToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("live: binding: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var b Binding
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("live: binding: %w", err)
	}
	if err := b.parse(); err != nil {
		return nil, err
	}
	return &b, nil
}

// parse checks what can be checked without the pipeline.
func (b *Binding) parse() error {
	var errs []string
	if len(b.Functions) == 0 {
		errs = append(errs, "functions is empty: map every pipeline node to a Lambda function name or ARN")
	}
	for _, node := range sortedKeys(b.Functions) {
		if err := checkFunctionRef(b.Functions[node]); err != nil {
			errs = append(errs, fmt.Sprintf("functions.%s: %v", node, err))
		}
	}
	for _, node := range sortedKeys(b.LogGroups) {
		if _, ok := b.Functions[node]; !ok {
			errs = append(errs, fmt.Sprintf("log_groups.%s: not a node in functions", node))
		}
	}
	bucket, key, err := ParseS3URI(b.ConfigDocument)
	if err != nil {
		errs = append(errs, fmt.Sprintf("config_document: %v", err))
	}
	b.Bucket, b.Key = bucket, key
	switch b.InvocationType {
	case "":
		b.InvocationType = "RequestResponse"
	case "RequestResponse", "Event":
	default:
		errs = append(errs, fmt.Sprintf("invocation_type %q: want RequestResponse or Event", b.InvocationType))
	}
	if len(errs) > 0 {
		return fmt.Errorf("live: binding: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Check verifies that the binding covers exactly the pipeline's nodes.
func (b *Binding) Check(dag *pipeline.DAG) error {
	var errs []string
	if b.Pipeline != "" && b.Pipeline != dag.Name {
		errs = append(errs, fmt.Sprintf("binds pipeline %q, not %q", b.Pipeline, dag.Name))
	}
	for _, n := range dag.Names() {
		if _, ok := b.Functions[n]; !ok {
			errs = append(errs, fmt.Sprintf("node %q has no function", n))
		}
	}
	for _, n := range sortedKeys(b.Functions) {
		if _, ok := dag.Lookup(n); !ok {
			errs = append(errs, fmt.Sprintf("functions.%s: pipeline %s has no such node (nodes: %s)", n, dag.Name, strings.Join(dag.Names(), ", ")))
		}
	}
	seen := map[string]string{}
	for _, n := range sortedKeys(b.Functions) {
		name := FunctionName(b.Functions[n])
		if other, dup := seen[name]; dup {
			errs = append(errs, fmt.Sprintf("nodes %q and %q share function %s: their REPORT lines could not be told apart", other, n, name))
		}
		seen[name] = n
	}
	if len(errs) > 0 {
		return fmt.Errorf("live: binding: %s", strings.Join(errs, "; "))
	}
	return nil
}

// LogGroup is the CloudWatch Logs group of a node's function.
func (b *Binding) LogGroup(node string) string {
	if g := b.LogGroups[node]; g != "" {
		return g
	}
	return "/aws/lambda/" + FunctionName(b.Functions[node])
}

// FunctionName is the function-name part of a name, partial ARN or ARN
// (arn:aws:lambda:region:account:function:name[:qualifier]).
func FunctionName(ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.Split(ref, ":")
		if len(parts) >= 7 {
			return parts[6]
		}
	}
	if i := strings.Index(ref, ":function:"); i >= 0 { // account:function:name
		rest := ref[i+len(":function:"):]
		name, _, _ := strings.Cut(rest, ":")
		return name
	}
	return ref
}

func checkFunctionRef(ref string) error {
	if ref == "" {
		return fmt.Errorf("empty function name")
	}
	if strings.ContainsAny(ref, " \t/") {
		return fmt.Errorf("%q is not a function name or ARN", ref)
	}
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.Split(ref, ":")
		if len(parts) < 7 || parts[2] != "lambda" || parts[5] != "function" || parts[6] == "" {
			return fmt.Errorf("%q is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)", ref)
		}
	}
	return nil
}

// ParseS3URI splits s3://bucket/key.
func ParseS3URI(s string) (bucket, key string, err error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "s3" || u.Host == "" || strings.Trim(u.Path, "/") == "" {
		return "", "", fmt.Errorf("%q: want s3://BUCKET/KEY", s)
	}
	return u.Host, strings.TrimPrefix(u.Path, "/"), nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
