package live

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Updater changes a function's memory the way Lambda wants it done:
// UpdateFunctionConfiguration, retried with backoff and jitter while Lambda
// answers ResourceConflictException (an update is already in progress), then
// the function-updated waiter, then a read-back with GetFunctionConfiguration
// to confirm the new size is in force.
type Updater struct {
	Lambda LambdaAPI
	// ConflictRetries is how many times a conflicting update is retried
	// (default 8); the SDK's own retries come on top.
	ConflictRetries int
	// ConflictBackoff is the base delay between conflict retries (default
	// 500 ms), doubled each time up to 30 s, with full jitter.
	ConflictBackoff time.Duration
	// WaitTimeout bounds the function-updated waiter (default 5 min).
	WaitTimeout time.Duration
	// PollMin and PollMax are the waiter's delays (defaults 1 s and 10 s).
	PollMin, PollMax time.Duration
}

func (u *Updater) defaults() {
	if u.ConflictRetries <= 0 {
		u.ConflictRetries = 8
	}
	if u.ConflictBackoff <= 0 {
		u.ConflictBackoff = 500 * time.Millisecond
	}
	if u.WaitTimeout <= 0 {
		u.WaitTimeout = 5 * time.Minute
	}
	if u.PollMin <= 0 {
		u.PollMin = time.Second
	}
	if u.PollMax < u.PollMin {
		u.PollMax = max(10*time.Second, u.PollMin)
	}
}

// SetMemory sets a function's memory and returns once Lambda reports the
// update finished and the read-back shows the new size.
func (u Updater) SetMemory(ctx context.Context, function string, mb int) error {
	u.defaults()
	in := &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(function), MemorySize: aws.Int32(int32(mb))}
	delay := u.ConflictBackoff
	for attempt := 0; ; attempt++ {
		_, err := u.Lambda.UpdateFunctionConfiguration(ctx, in)
		if err == nil {
			break
		}
		var conflict *types.ResourceConflictException
		if !errors.As(err, &conflict) && errorCode(err) != "ResourceConflictException" {
			return fmt.Errorf("update %s to %d MB: %w", function, mb, err)
		}
		if attempt >= u.ConflictRetries {
			return fmt.Errorf("update %s to %d MB: still in conflict after %d retries: %w", function, mb, attempt, err)
		}
		// Another update is in progress: wait for it, then back off.
		if err := u.wait(ctx, function); err != nil {
			return err
		}
		if err := sleep(ctx, time.Duration(rand.Int64N(int64(delay))+1)); err != nil {
			return err
		}
		delay = min(2*delay, 30*time.Second)
	}
	if err := u.wait(ctx, function); err != nil {
		return err
	}
	out, err := u.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(function)})
	if err != nil {
		return fmt.Errorf("read back %s: %w", function, err)
	}
	if got := int(aws.ToInt32(out.MemorySize)); got != mb {
		return fmt.Errorf("read back %s: memory is %d MB after setting %d MB", function, got, mb)
	}
	if out.LastUpdateStatus == types.LastUpdateStatusFailed {
		return fmt.Errorf("update %s to %d MB failed: %s", function, mb, aws.ToString(out.LastUpdateStatusReason))
	}
	return nil
}

// wait runs the SDK's function-updated waiter.
func (u Updater) wait(ctx context.Context, function string) error {
	w := lambda.NewFunctionUpdatedWaiter(u.Lambda, func(o *lambda.FunctionUpdatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = u.PollMin, u.PollMax
	})
	if err := w.Wait(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(function)}, u.WaitTimeout); err != nil {
		return fmt.Errorf("wait for the update of %s: %w", function, err)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
