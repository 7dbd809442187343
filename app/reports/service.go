// Package reports stores uploaded result files and what is made of them: projects, runs,
// per-label and per-time-bucket aggregates, JUnit cases, security findings and the API tokens
// that let CI pipelines upload. An upload is spooled to disk while it is hashed, kept
// gzip-compressed under the data directory and queued; a pool of workers (on one node or
// several sharing one PostgreSQL) claims queued runs, parses them with progress updates and
// writes every aggregate in one transaction, so a failed run has none.
//
// The HTTP upload contract the web layer implements is documented on Receipt.
package reports

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"scanboard/app/apperr"
	"scanboard/app/store"
	"scanboard/ent"
)

// Config tunes a Service; zero fields take the defaults named on each.
type Config struct {
	// DataDir holds the raw uploads under DataDir/uploads. Required.
	DataDir string
	// MaxBytes is the default limit of an upload body as sent (compressed or not);
	// 512 MiB. IngestRequest.MaxBytes overrides it per request.
	MaxBytes int64
	// MaxDecompressed bounds the content of a gzip upload after decompression; 16 × MaxBytes.
	MaxDecompressed int64
	// Workers is the number of runs processed at once on this node; 2.
	Workers int
	// Lease is how long a claim on a run lasts without a progress update. A run whose
	// worker died is processed again once its lease has run out; 2 minutes.
	Lease time.Duration
	// ProgressEvery is how often a worker stores its progress (and renews its lease); 1 s.
	ProgressEvery time.Duration
	// PollEvery is how often idle workers look for runs queued by other nodes; 5 s.
	PollEvery time.Duration
	// MaxAttempts is how many claims a run gets before it is failed as unprocessable; 3.
	MaxAttempts int
	// JobTimeout bounds the processing of one run, parsing and storing; past it the run
	// fails instead of being tried again (FILE-11); 30 minutes.
	JobTimeout time.Duration
	// QuotaFiles and QuotaBytes cap, per user, the uploads kept (runs, whatever their
	// status) and the bytes their raw files take on disk (gzip-compressed). An upload past
	// either is refused (FILE-03); 0 means no quota. The app's defaults are in app/config.
	QuotaFiles int
	QuotaBytes int64
	// Now is the clock; time.Now. Tests move it to expire leases.
	Now func() time.Time
	// Logger receives processing outcomes; slog.Default().
	Logger *slog.Logger
}

// Service is the reports API used by the web handlers, the workers and the CLI.
type Service struct {
	st   *store.Store
	db   *ent.Client
	cfg  Config
	root *os.Root // DataDir/uploads: every raw file lives below it
	wake chan struct{}
	runs *runCache // rows of recently viewed runs, checked on every use
}

// New returns a Service storing raw files below cfg.DataDir/uploads.
func New(st *store.Store, cfg Config) (*Service, error) {
	const op = "reports.New"
	if cfg.DataDir == "" {
		return nil, apperr.E(op, apperr.Invalid, "no data directory configured")
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 512 << 20
	}
	if cfg.MaxDecompressed <= 0 {
		cfg.MaxDecompressed = 16 * cfg.MaxBytes
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = time.Second
	}
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = 5 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 3
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = 30 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	dir := filepath.Join(cfg.DataDir, uploadsDir)
	if err := os.MkdirAll(filepath.Join(dir, tmpDir), 0o750); err != nil {
		return nil, apperr.E(op, apperr.Unavailable, fmt.Errorf("cannot create the upload directory: %w", err))
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	return &Service{st: st, db: st.Client, cfg: cfg, root: root, wake: make(chan struct{}, 1), runs: newRunCache(st.Dialect.Ent(), 1024)}, nil
}

// Close releases the upload directory handle.
func (s *Service) Close() error { return s.root.Close() }

const (
	uploadsDir = "uploads"
	tmpDir     = "tmp"
)

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// notify wakes one idle worker without blocking the uploader.
func (s *Service) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// osCreateExcl creates a new file and fails if the (random) name exists.
const osCreateExcl = os.O_WRONLY | os.O_CREATE | os.O_EXCL
