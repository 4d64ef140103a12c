package online

import (
	"context"
	"fmt"
	"sync"

	"github.com/confignav/confignav/backend"
)

// Document is one version of the pipeline's configuration.
type Document struct {
	Version int            `json:"version"`
	Config  backend.Config `json:"config"`
	Reason  string         `json:"reason,omitempty"`
}

// Store is the configuration store functions read their sub-functions'
// settings from (the paper keeps it in S3, §3.3.3).
type Store interface {
	// Put writes a new version; it takes effect for new invocations only.
	Put(ctx context.Context, cfg backend.Config, reason string) (Document, error)
	// Get returns the current version.
	Get(ctx context.Context) (Document, error)
}

// MemoryStore keeps the documents in memory and applies each new version to
// a backend (the simulator's Apply changes memory for new invocations only,
// as a function reading the document at invocation would).
type MemoryStore struct {
	Backend backend.Backend
	mu      sync.Mutex
	docs    []Document
}

// NewMemoryStore starts with version 0 holding the backend's configuration.
func NewMemoryStore(b backend.Backend) *MemoryStore {
	return &MemoryStore{Backend: b, docs: []Document{{Version: 0, Config: b.Config(), Reason: "initial"}}}
}

func (s *MemoryStore) Put(ctx context.Context, cfg backend.Config, reason string) (Document, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.Backend.Apply(ctx, cfg); err != nil {
		return Document{}, fmt.Errorf("online: apply version %d: %w", len(s.docs), err)
	}
	d := Document{Version: len(s.docs), Config: cfg.Clone(), Reason: reason}
	s.docs = append(s.docs, d)
	return d, nil
}

func (s *MemoryStore) Get(context.Context) (Document, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.docs[len(s.docs)-1], nil
}

// History is every version written.
func (s *MemoryStore) History() []Document {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Document(nil), s.docs...)
}
