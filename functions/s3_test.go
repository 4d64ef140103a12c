package functions

import (
	"context"
	"fmt"
	"image"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Inputs and outputs as S3 objects, against moto's server on loopback.
func TestInvokeWithS3Objects(t *testing.T) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("moto_server not installed: skipping the S3 round trip")
	}
	if testing.Short() {
		t.Skip("short: skipping the S3 round trip (starts moto's server)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	srv := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not listen on %d", port)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Setenv("AWS_ENDPOINT_URL_S3", fmt.Sprintf("http://127.0.0.1:%d", port))
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	ctx := context.Background()
	c, err := client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("cnav")}); err != nil {
		t.Fatal(err)
	}
	jp, _ := EncodeJPEG(image.NewYCbCr(image.Rect(0, 0, 64, 36), image.YCbCrSubsampleRatio420))
	local := filepath.Join(t.TempDir(), "f.tar")
	if err := WriteFrames(local, 64, 36, 30, [][]byte{jp, jp, jp}); err != nil {
		t.Fatal(err)
	}
	if err := s3Put(ctx, local, "s3://cnav/in/frames.tar"); err != nil {
		t.Fatal(err)
	}
	res, err := Invoke(ctx, "judge-resolution", Request{Inputs: []string{"s3://cnav/in/frames.tar"}, Output: "s3://cnav/out/j.json"})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(local)
	if !res.Remote || res.BytesIn != st.Size() || res.BytesOut == 0 {
		t.Fatalf("result %+v: want remote I/O of %d bytes in", res, st.Size())
	}
	got := filepath.Join(t.TempDir(), "j.json")
	if _, err := s3Get(ctx, "s3://cnav/out/j.json", got); err != nil {
		t.Fatal(err)
	}
	var j Judgement
	if err := readJSON(got, KindResolution, &j); err != nil || j.Factor != 4 {
		t.Fatalf("judgement from S3: %+v, %v (want factor 4: 36 → 720 is capped at ×4)", j, err)
	}
}
