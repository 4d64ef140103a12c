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
