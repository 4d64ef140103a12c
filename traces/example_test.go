package traces_test

import (
	"fmt"
	"log"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/traces"
)

func ExampleParseChange() {
	c, err := traces.ParseChange("10m:resolution=360p,fps=30")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.At, c.Value.Width, c.Value.Height, c.Value.FPS)
	fmt.Println(c)
	// Output:
	// 600000000 640 360 30
	// 10m0s:resolution=640x360,fps=30
}

func ExampleTrace_Select() {
	tr, err := traces.NewPerMinute(traces.SourceSynthetic, 0, 3, []traces.Function{
		{Owner: "o", App: "a", Name: "f1", Trigger: "http"},
		{Owner: "o", App: "a", Name: "f2", Trigger: "timer"},
		{Owner: "o", App: "b", Name: "f3", Trigger: "http"},
	}, [][]uint32{{1, 2, 3}, {1, 1, 1}, {9, 0, 0}})
	if err != nil {
		log.Fatal(err)
	}
	for _, expr := range []string{"top:1", "trigger:http", "trigger:http,rank:2", "app:a"} {
		idx, err := tr.Select(expr, 1)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(expr, idx)
	}
	// Output:
	// top:1 [2]
	// trigger:http [0 2]
	// trigger:http,rank:2 [0]
	// app:a [0 1]
}

// One trace function drives one pipeline, as in the paper's setup: the
// busiest HTTP function of a synthetic day, with a switch to 360p input after
// ten minutes.
func ExampleOpen() {
	change, err := traces.ParseChange("10m:resolution=360p")
	if err != nil {
		log.Fatal(err)
	}
	src, err := traces.Open("synthetic:functions=100,minutes=60", traces.Options{
		Seed:    1,
		Select:  "trigger:http,top:1",
		Changes: []traces.Change{change},
	})
	if err != nil {
		log.Fatal(err)
	}
	var r backend.Request
	before, after, at360 := 0, 0, 0
	for src.Next(&r) {
		if r.At < 10*traces.MinuteMicros {
			before++
			continue
		}
		after++
		if r.Input.Height == 360 {
			at360++
		}
	}
	fmt.Printf("%d requests before minute 10, %d after, %d of them at 360p\n", before, after, at360)
	// Output:
	// 172 requests before minute 10, 841 after, 841 of them at 360p
}
