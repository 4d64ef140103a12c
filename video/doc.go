// Package video describes the input a pipeline request carries: the features of
// one video clip (resolution, frame rate, length, motion complexity, faces) that
// change what each function of a video pipeline costs to run.
//
// The paper's evaluation (§4.1) uses 50 five-second clips between 360p and 1080p;
// Reference is the clip every function model is calibrated on, so a function's
// basic-operation profile describes its work on a 1080p, 30 fps, 5 s clip with
// average motion and one face.
package video
