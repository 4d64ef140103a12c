package live

import (
	"context"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/navigator/online"
)

// Store is the online controller's configuration store on S3 (paper
// §3.3.3): Put applies the memory sizes to the functions and writes the next
// version of the configuration document, which every function reads to learn
// its sub-functions' settings; Get reads the document back.
type Store struct{ Backend *Backend }

var _ online.Store = Store{}

// Put implements online.Store.
func (s Store) Put(ctx context.Context, cfg backend.Config, reason string) (online.Document, error) {
	if err := s.Backend.apply(ctx, cfg, reason, true); err != nil {
		return online.Document{}, err
	}
	return online.Document{Version: s.Backend.DocumentVersion(), Config: s.Backend.Config(), Reason: reason}, nil
}

// Get implements online.Store.
func (s Store) Get(ctx context.Context) (online.Document, error) {
	d, err := s.Backend.ReadDocument(ctx)
	if err != nil {
		return online.Document{}, err
	}
	return online.Document{Version: d.Version, Config: d.Config, Reason: d.Reason}, nil
}
