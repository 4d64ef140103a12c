package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"
)

// LambdaAPI is the part of the Lambda client the backend uses.
type LambdaAPI interface {
	GetFunctionConfiguration(ctx context.Context, in *lambda.GetFunctionConfigurationInput, opts ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
	UpdateFunctionConfiguration(ctx context.Context, in *lambda.UpdateFunctionConfigurationInput, opts ...func(*lambda.Options)) (*lambda.UpdateFunctionConfigurationOutput, error)
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// LogsAPI is the part of the CloudWatch Logs client the backend uses.
type LogsAPI interface {
	FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// S3API is the part of the S3 client the backend uses.
type S3API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// Clients are the three service clients.
type Clients struct {
	Lambda LambdaAPI
	Logs   LogsAPI
	S3     S3API
	// Endpoint is the custom endpoint in use ("" for AWS), for error messages.
	Endpoint string
}

// AWSOptions select the account, region and endpoint. Everything not given
// comes from the standard AWS chain: environment (AWS_REGION,
// AWS_ACCESS_KEY_ID, AWS_PROFILE, ...), shared config and credentials files,
// SSO, web identity, container and instance roles.
type AWSOptions struct {
	Region      string // --region; overrides the chain's region
	EndpointURL string // --endpoint-url: an AWS-compatible server such as moto
	Profile     string // --aws-profile: a shared-config profile
	// MaxAttempts is how many times one API call is tried (default 10): the
	// SDK's standard retryer, exponential backoff with full jitter, on
	// throttling (HTTP 429, TooManyRequestsException, ThrottlingException),
	// 5xx, connection errors and ResourceConflictException.
	MaxAttempts int
	// MaxBackoff caps one backoff delay (default 20 s).
	MaxBackoff time.Duration
	// Credentials, when set, replaces the chain's credentials (tests).
	Credentials aws.CredentialsProvider
	// HTTPClient, when set, replaces the SDK's HTTP client.
	HTTPClient aws.HTTPClient
}

// RetryableCodes are the error codes retried besides the SDK's defaults.
var RetryableCodes = map[string]struct{}{
	"TooManyRequestsException":  {},
	"ResourceConflictException": {},
	"ThrottlingException":       {},
}

// LoadAWSConfig resolves the AWS configuration. It never logs: the SDK's
// client log mode stays off, so neither credentials nor signed headers are
// written anywhere.
func LoadAWSConfig(ctx context.Context, o AWSOptions) (aws.Config, error) {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 20 * time.Second
	}
	// The SDK's own logger would print the credential chain's chatter (IMDS
	// fallbacks) to stderr; failures come back as errors instead.
	opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(o.Credentials))
	}
	if o.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(o.HTTPClient))
	}
	if o.EndpointURL != "" {
		u, err := url.Parse(o.EndpointURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return aws.Config{}, fmt.Errorf("live: --endpoint-url %q: want http(s)://HOST[:PORT]", o.EndpointURL)
		}
		opts = append(opts, config.WithBaseEndpoint(o.EndpointURL),
			// AWS-compatible servers vary in their support of the newer
			// flexible checksums; send them only where an API requires them.
			config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
			config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired))
	}
	maxAttempts, maxBackoff := o.MaxAttempts, o.MaxBackoff
	opts = append(opts, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = maxAttempts
			so.MaxBackoff = maxBackoff
			// A refused connection means nothing listens there: fail at once
			// rather than back off for a minute (throttling, 5xx, resets and
			// timeouts are still retried).
			so.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(refusedNotRetryable)}, so.Retryables...)
			so.Retryables = append(so.Retryables, retry.RetryableErrorCode{Codes: RetryableCodes})
			// A burst of 429s must not drain a client-side retry quota and
			// turn into failures: the backoff alone paces the retries.
			so.RateLimiter = ratelimit.None
		})
	}))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("live: AWS configuration: %w", Redact(err))
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("live: no AWS region: pass --region or set AWS_REGION (or a region in the AWS profile)")
	}
	if cfg.Credentials == nil {
		return aws.Config{}, noCredentials{errors.New("no credentials provider")}
	}
	// Resolve the credentials now (the result is cached for the clients), so
	// that a missing account is one clear line before anything else runs.
	rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(rctx); err != nil {
		return aws.Config{}, noCredentials{Redact(err)}
	}
	return cfg, nil
}

// noCredentials says in one line that the AWS chain found no credentials and
// what to set; the SDK's own error stays reachable with errors.As/Unwrap.
type noCredentials struct{ err error }

func (e noCredentials) Error() string {
	return "live: no AWS credentials: set AWS_PROFILE (or pass --aws-profile) to a profile in ~/.aws/config or ~/.aws/credentials, " +
		"or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones), or run with an instance or container role"
}

func (e noCredentials) Unwrap() error { return e.err }

// refusedNotRetryable stops retries of a refused connection.
func refusedNotRetryable(err error) aws.Ternary {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return aws.FalseTernary
	}
	return aws.UnknownTernary
}

// NewClients makes the service clients from a configuration.
func NewClients(cfg aws.Config) Clients {
	endpoint := ""
	if cfg.BaseEndpoint != nil {
		endpoint = *cfg.BaseEndpoint
	}
	return Clients{
		Lambda: lambda.NewFromConfig(cfg),
		Logs:   cloudwatchlogs.NewFromConfig(cfg),
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.UsePathStyle = endpoint != "" // AWS-compatible servers rarely serve virtual-hosted buckets
		}),
		Endpoint: endpoint,
	}
}

// apiError is the SDK's API error (smithy.APIError), matched by method so
// that this package needs no direct dependency on smithy-go.
type apiError interface {
	error
	ErrorCode() string
}

// errorCode is the API error code of err, or "".
func errorCode(err error) string {
	var ae apiError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// explain turns an unreachable endpoint into a message a user can act on.
func explain(err error, endpoint, what string) error {
	if err == nil {
		return nil
	}
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	if errors.As(err, &oe) || errors.As(err, &de) || (errors.As(err, &ne) && ne.Timeout()) {
		where := endpoint
		if where == "" {
			where = "the AWS endpoint"
		}
		return fmt.Errorf("live: %s: cannot reach %s (is it up? check --endpoint-url, --region and the network): %w", what, where, Redact(err))
	}
	return fmt.Errorf("live: %s: %w", what, Redact(err))
}

// secrets matches what must never reach a log or an output: signatures,
// credentials in query strings or headers, session tokens and access key ids.
var secrets = regexp.MustCompile(`(?i)(signature=)[0-9a-f]+|(x-amz-security-token[=:]\s*)[^\s&,"]+|(x-amz-credential=)[^\s&,"]+|(authorization:\s*)[^\n"]+|(aws_secret_access_key\s*[=:]\s*)\S+|(aws_session_token\s*[=:]\s*)\S+|\b(AKIA|ASIA)[A-Z0-9]{16}\b`)

// RedactString removes signatures, credentials, session tokens and access
// key ids from s.
func RedactString(s string) string {
	return secrets.ReplaceAllStringFunc(s, func(m string) string {
		sub := secrets.FindStringSubmatch(m)
		for _, prefix := range sub[1:7] {
			if prefix != "" {
				return prefix + "REDACTED"
			}
		}
		return "REDACTED"
	})
}

// Redact wraps err so that its message passes RedactString; errors.Is and
// errors.As still see the original.
func Redact(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if r := RedactString(msg); r != msg {
		return redacted{msg: r, err: err}
	}
	return err
}

type redacted struct {
	msg string
	err error
}

func (r redacted) Error() string { return r.msg }
func (r redacted) Unwrap() error { return r.err }
