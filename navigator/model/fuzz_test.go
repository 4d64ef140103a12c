package model

import (
	"bytes"
	"math"
	"testing"

	"github.com/confignav/confignav/platform"
)

// FuzzLoad: Load never panics, and a model it accepts predicts without
// panicking and never returns a non-finite distribution.
func FuzzLoad(f *testing.F) {
	ds, m := smallModel(f)
	var b bytes.Buffer
	m.Save(&b)
	f.Add(b.Bytes())
	f.Add([]byte(`{"format": "confignav-prediction-model", "version": 1, "sha256": "", "model": {}}`))
	f.Add([]byte(`{}`))
	plat := platform.Default()
	feat := ds.Functions[0].Features
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Load(bytes.NewReader(data), plat)
		if err != nil {
			return
		}
		d, err := m.Predict(feat, 1024)
		if err != nil {
			return
		}
		for _, v := range []float64{d.MeanMs, d.P95Ms, d.VarMs2, d.Quantile(0.5)} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("loaded model predicts %v", d)
			}
		}
	})
}
