// Command lambda is the AWS Lambda handler of confignav's real video
// functions (runtime provided.al2023, built with -tags lambda.norpc):
//
//	GOOS=linux GOARCH=amd64 go build -tags lambda.norpc -o bootstrap ./functions/cmd/lambda
//
// The environment variable CNAV_FUNCTION names the function (cnav fn list).
// Its static initialisation runs before the first event, so it counts to
// Lambda's Init Duration. An event is
//
//	{"inputs": ["s3://bucket/frames.tar", …], "output": "s3://bucket/out.json", "args": {"face": "0"}}
//
// and the response is the function's Result (bytes moved, notes). Functions
// that run ffmpeg need it on PATH (a layer with a static ffmpeg in /opt/bin)
// or at $CNAV_FFMPEG and $CNAV_FFPROBE.
//
// Outside Lambda, "bootstrap serve NAME" runs the same binary as a local warm
// environment (functions.Serve's protocol on stdin and stdout): cnav measure
// --worker uses it, so the measured platform runs the deployable binary.
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/confignav/confignav/functions"
)

// event is the handler's input: a functions.Request, optionally naming the
// function it expects (a guard against a mis-wired deployment).
type event struct {
	Function string `json:"function,omitempty"`
	functions.Request
}

// handler returns the Lambda handler of the named function after running its
// static initialisation.
func handler(name string) (func(context.Context, event) (*functions.Result, error), error) {
	f, err := functions.Lookup(name)
	if err != nil {
		return nil, err
	}
	if err := f.Init(); err != nil {
		return nil, fmt.Errorf("init %s: %w", name, err)
	}
	return func(ctx context.Context, ev event) (*functions.Result, error) {
		if ev.Function != "" && ev.Function != name {
			return nil, fmt.Errorf("event for function %q sent to %q", ev.Function, name)
		}
		return functions.Invoke(ctx, name, ev.Request)
	}, nil
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "serve" {
		if err := functions.Serve(context.Background(), os.Args[2], os.Stdin, os.Stdout); err != nil {
			log.Fatalf("cnav lambda serve: %v", err)
		}
		return
	}
	if dir := "/opt/bin"; os.Getenv("CNAV_FFMPEG") == "" {
		os.Setenv("PATH", os.Getenv("PATH")+":"+dir)
	}
	h, err := handler(os.Getenv("CNAV_FUNCTION"))
	if err != nil {
		log.Fatalf("cnav lambda: %v (set CNAV_FUNCTION)", err)
	}
	lambda.Start(h)
}
