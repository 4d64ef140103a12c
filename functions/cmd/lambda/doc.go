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
