package experiments

import (
	"fmt"

	"github.com/confignav/confignav/oracle"
	"github.com/confignav/confignav/pipeline"
	"github.com/confignav/confignav/sim"
	"github.com/confignav/confignav/video"
)

// truth builds (once per key) the oracle of a pipeline on a grid and one
// clip.
func (e *Env) truth(dag *pipeline.DAG, grid []int, in video.Input, samples int, seed uint64) (*oracle.Oracle, error) {
	return e.truthOf(dag, grid, fmt.Sprintf("%+v", in), []video.Input{in}, samples, seed)
}

// truthOf builds (once per key) the oracle of a pipeline on a grid and a
// set of clips, named in the cache key by what.
func (e *Env) truthOf(dag *pipeline.DAG, grid []int, what string, clips []video.Input, samples int, seed uint64) (*oracle.Oracle, error) {
	key := fmt.Sprintf("oracle|%s|%v|%s|%d|%d", dag.Name, grid, what, samples, seed)
	v, err := e.Once(key, func() (any, error) {
		s, err := sim.New(e.Platform, dag, seed)
		if err != nil {
			return nil, err
		}
		return oracle.New(s, grid, clips, samples, seed)
	})
	if err != nil {
		return nil, err
	}
	return v.(*oracle.Oracle), nil
}

// compile builds a pipeline from a spec written in code.
func compile(spec string) (*pipeline.DAG, error) {
	s, err := pipeline.Parse([]byte(spec))
	if err != nil {
		return nil, err
	}
	return pipeline.Compile(s)
}
