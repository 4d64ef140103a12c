package functions

import (
	"context"
)

func init() {
	register(&Func{
		Name: "face-detect",
		Summary: "find faces in every frame with pigo (pixel-intensity-comparison cascade, github.com/esimov/pigo v1.4.6, " +
			"its shipped frontal-face cascade); overlapping windows clustered at IoU 0.2",
		Inputs: "frames",
		Output: KindDetections,
		Args: []Arg{
			{Name: "min_score", Default: "5", Help: "pigo detection quality threshold"},
		},
		init: initCascade,
		run:  faceDetect,
	})
}

func faceDetect(ctx context.Context, c *call) error {
	p, err := c.in.one(KindFrames)
	if err != nil {
		return err
	}
	minScore, err := c.argFloat("min_score", 0, 1000)
	if err != nil {
		return err
	}
	f, err := ReadFrames(p)
	if err != nil {
		return err
	}
	boxes, err := facesInFrames(f, faceParams{minScore: minScore, iou: 0.2}, nil)
	if err != nil {
		return err
	}
	d := Detections{Kind: KindDetections, Detector: "faces", Method: "pigo v1.4.6 facefinder cascade",
		Width: f.Width, Height: f.Height, FPS: f.FPS}
	total := 0
	for i, b := range boxes {
		d.Frames = append(d.Frames, FrameBoxes{Index: i, Boxes: nonNil(b)})
		total += len(b)
	}
	c.note("frames", f.Count)
	c.note("detections", total)
	c.note("max_faces", d.MaxBoxes())
	return writeJSON(c.out, &d)
}

func nonNil(b []Box) []Box {
	if b == nil {
		return []Box{}
	}
	return b
}
