package functions

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3 objects are named s3://bucket/key. The client comes from the standard
// AWS chain (environment, shared config, instance role); a custom endpoint
// (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, e.g. moto's server on loopback)
// switches to path-style addressing, which such servers need.

func isS3(uri string) bool { return strings.HasPrefix(uri, "s3://") }

func splitS3(uri string) (bucket, key string, err error) {
	rest := strings.TrimPrefix(uri, "s3://")
	bucket, key, ok := strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", fmt.Errorf("%w: %q is not s3://bucket/key", ErrInput, uri)
	}
	return bucket, key, nil
}

var s3client struct {
	once sync.Once
	c    *s3.Client
	err  error
}

func client(ctx context.Context) (*s3.Client, error) {
	s3client.once.Do(func() {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			s3client.err = fmt.Errorf("functions: aws config: %w", err)
			return
		}
		custom := os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
		s3client.c = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = custom })
	})
	return s3client.c, s3client.err
}

// s3Get downloads an object to a local file and returns its size.
func s3Get(ctx context.Context, uri, local string) (int64, error) {
	bucket, key, err := splitS3(uri)
	if err != nil {
		return 0, err
	}
	c, err := client(ctx)
	if err != nil {
		return 0, err
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return 0, fmt.Errorf("functions: get %s: %w", uri, err)
	}
	defer out.Body.Close()
	f, err := os.Create(local)
	if err != nil {
		return 0, fmt.Errorf("functions: %w", err)
	}
	n, err := io.Copy(f, out.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("functions: get %s: %w", uri, err)
	}
	return n, nil
}

// s3Put uploads a local file as an object.
func s3Put(ctx context.Context, local, uri string) error {
	bucket, key, err := splitS3(uri)
	if err != nil {
		return err
	}
	c, err := client(ctx)
	if err != nil {
		return err
	}
	f, err := os.Open(local)
	if err != nil {
		return fmt.Errorf("functions: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: f, ContentLength: aws.Int64(st.Size())})
	if err != nil {
		return fmt.Errorf("functions: put %s: %w", uri, err)
	}
	return nil
}
