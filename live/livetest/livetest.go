package livetest

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/confignav/confignav/live"
	"github.com/confignav/confignav/pipeline"
)

// Fake credentials for the server. They are shaped like real ones so that
// tests can check that no output ever shows them.
const (
	AccessKeyID     = "AKIACNAVTESTFAKE0001"
	SecretAccessKey = "cnavTestSecretKeyThatMustNeverAppear0000"
	Region          = "us-east-1"
	// Account is moto's default account.
	Account = "123456789012"
)

// Credentials is a provider of the fake credentials.
var Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey, Source: "livetest"}, nil
})

// SetEnv points the standard AWS chain at the fake credentials for one test.
func SetEnv(t testing.TB) {
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", Region)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// Server is a running moto_server.
type Server struct {
	URL string
	cmd *exec.Cmd
	log bytes.Buffer
}

// ErrNoMoto is returned by Start where moto_server is not installed.
var ErrNoMoto = errors.New("livetest: moto_server is not installed (pip install 'moto[server]')")

// Start starts moto_server on a free loopback port and configures Lambda not
// to run function code (no Docker).
func Start() (*Server, error) {
	bin, err := findMoto()
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("livetest: free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port)}
	s.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	s.cmd.Stdout, s.cmd.Stderr = &syncWriter{w: &s.log}, &syncWriter{w: &s.log}
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.cmd.Env = append(os.Environ(), "MOTO_ALLOW_NONEXISTENT_REGION=true")
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("livetest: start moto_server: %w", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Post(s.URL+"/moto-api/config", "application/json", strings.NewReader(`{"lambda":{"use_docker":false}}`))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 300 {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("livetest: moto_server did not answer within 60 s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// findMoto looks for moto_server: $CNAV_MOTO_SERVER, then PATH, then the
// pyenv shims (CI may run with a PATH that lacks them).
func findMoto() (string, error) {
	if p := os.Getenv("CNAV_MOTO_SERVER"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("moto_server"); err == nil {
		return p, nil
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".pyenv", "shims", "moto_server")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", ErrNoMoto
}

// Stop ends the server (the process group this package started).
func (s *Server) Stop() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	pid := s.cmd.Process.Pid
	syscall.Kill(-pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-pid, syscall.SIGKILL)
		<-done
	}
}

// Reset wipes every resource in the server.
func (s *Server) Reset() error {
	resp, err := http.Post(s.URL+"/moto-api/reset", "application/json", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	resp, err = http.Post(s.URL+"/moto-api/config", "application/json", strings.NewReader(`{"lambda":{"use_docker":false}}`))
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// Shared is one server per test binary, started on first use.
type Shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Need returns the shared server, starting it on first use. Without
// moto_server the test is skipped with a clear message, or fails when
// CI=true (CI must not skip the live tests silently).
func (sh *Shared) Need(t testing.TB) *Server {
	t.Helper()
	sh.once.Do(func() { sh.srv, sh.err = Start() })
	if sh.err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("moto server needed and CI=true: %v", sh.err)
		}
		t.Skipf("skipping: %v; these tests run the live backend against moto's server", sh.err)
	}
	return sh.srv
}

// Stop stops the shared server if it was started (call it from TestMain).
func (sh *Shared) Stop() { sh.srv.Stop() }

// Deployment is a pipeline deployed into the server.
type Deployment struct {
	Binding     *live.Binding
	BindingPath string
	RoleARN     string
	Bucket      string
	Prefix      string // function name prefix
}

// Deploy creates the IAM role, one function per pipeline node (at memMB,
// with a timeout of timeoutS) and the bucket, and writes a binding file in
// dir. Names carry prefix so that tests sharing a server do not collide.
func Deploy(ctx context.Context, endpoint string, dag *pipeline.DAG, prefix string, memMB, timeoutS int, dir string) (*Deployment, error) {
	cfg, err := live.LoadAWSConfig(ctx, live.AWSOptions{Region: Region, EndpointURL: endpoint, Credentials: Credentials, MaxAttempts: 3, MaxBackoff: 100 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	role, err := createRole(ctx, endpoint, prefix+"-role")
	if err != nil {
		return nil, err
	}
	lc := lambda.NewFromConfig(cfg)
	code := tinyZip()
	b := &live.Binding{Pipeline: dag.Name, Functions: map[string]string{}, ConfigDocument: fmt.Sprintf("s3://%s-config/%s/config.json", prefix, dag.Name)}
	for i, n := range dag.Names() {
		name := prefix + "-" + n
		_, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(name), Role: aws.String(role), Runtime: lambdatypes.RuntimeProvidedal2023,
			Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: code},
			MemorySize: aws.Int32(int32(memMB)), Timeout: aws.Int32(int32(timeoutS)),
		})
		if err != nil {
			return nil, fmt.Errorf("livetest: create function %s: %w", name, err)
		}
		if i%2 == 1 { // bind some nodes by ARN, as users may
			name = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", Region, Account, name)
		}
		b.Functions[n] = name
	}
	sc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := prefix + "-config"
	if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return nil, fmt.Errorf("livetest: create bucket: %w", err)
	}
	text := fmt.Sprintf("pipeline: %s\nconfig_document: %s\nfunctions:\n", dag.Name, b.ConfigDocument)
	for _, n := range dag.Names() {
		text += fmt.Sprintf("  %s: %s\n", n, b.Functions[n])
	}
	path := filepath.Join(dir, prefix+"-binding.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return nil, err
	}
	parsed, err := live.ReadBinding(path)
	if err != nil {
		return nil, err
	}
	return &Deployment{Binding: parsed, BindingPath: path, RoleARN: role, Bucket: bucket, Prefix: prefix}, nil
}

// createRole creates an IAM role with a raw signed Query API request (the
// project pins no IAM client) and returns its ARN; moto checks that a
// function's role exists.
func createRole(ctx context.Context, endpoint, name string) (string, error) {
	form := url.Values{
		"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {name},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
	}
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	creds, _ := Credentials.Retrieve(ctx)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "iam", Region, time.Now()); err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("livetest: create role: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out struct {
		Arn string `xml:"CreateRoleResult>Role>Arn"`
	}
	if resp.StatusCode != http.StatusOK || xml.Unmarshal(data, &out) != nil || out.Arn == "" {
		if strings.Contains(string(data), "EntityAlreadyExists") {
			return fmt.Sprintf("arn:aws:iam::%s:role/%s", Account, name), nil
		}
		return "", fmt.Errorf("livetest: create role: HTTP %d: %.300s", resp.StatusCode, data)
	}
	return out.Arn, nil
}

// tinyZip is a deployment package: moto stores it and never runs it.
func tinyZip() []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("bootstrap")
	io.WriteString(w, "#!/bin/sh\necho emulated\n")
	zw.Close()
	return buf.Bytes()
}

// FaultProxy is a reverse proxy in front of the server that answers the
// next N Lambda API requests with 429 TooManyRequestsException, as Lambda
// does when throttled.
type FaultProxy struct {
	URL       string
	srv       *httptest.Server
	throttle  atomic.Int64
	conflict  atomic.Int64
	Conflicts atomic.Int64 // 409s sent
	Injected  atomic.Int64 // 429s sent
	Passed    atomic.Int64 // requests forwarded
}

// NewFaultProxy starts a proxy to target.
func NewFaultProxy(target string) *FaultProxy {
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &FaultProxy{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/configuration") && p.conflict.Add(-1) >= 0 {
			p.Conflicts.Add(1)
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Amzn-ErrorType", "ResourceConflictException")
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, `{"Type":"User","message":"The operation cannot be performed at this time. An update is in progress for resource."}`)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/2015-03-31/functions") && p.throttle.Add(-1) >= 0 {
			p.Injected.Add(1)
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Amzn-ErrorType", "TooManyRequestsException")
			w.Header().Set("X-Amzn-RequestId", fmt.Sprintf("throttle-%d", p.Injected.Load()))
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"Reason":"CallerRateLimitExceeded","Type":"User","message":"Rate exceeded"}`)
			return
		}
		p.Passed.Add(1)
		rp.ServeHTTP(w, r)
	}))
	p.URL = p.srv.URL
	return p
}

// Throttle makes the next n Lambda requests fail with 429.
func (p *FaultProxy) Throttle(n int) { p.throttle.Store(int64(n)) }

// Conflict makes the next n UpdateFunctionConfiguration requests fail with
// 409 ResourceConflictException (an update already in progress).
func (p *FaultProxy) Conflict(n int) { p.conflict.Store(int64(n)) }

// Close stops the proxy: its URL becomes a dead endpoint.
func (p *FaultProxy) Close() {
	p.srv.CloseClientConnections()
	p.srv.Close()
}
