package store

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"

	"scanboard/app/apperr"
	"scanboard/migrations"
)

// Migration is one applied (or pending) migration version.
type Migration struct {
	Version int64
	Source  string
}

// Migrate applies every embedded migration for the store's dialect that the database has not
// seen yet, in version order, and returns what it applied. It is idempotent. goose applies
// the files ent generates (see migrations/gen); it records versions in goose_db_version.
func (s *Store) Migrate(ctx context.Context) ([]Migration, error) {
	p, err := s.migrationProvider()
	if err != nil {
		return nil, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return nil, apperr.E("store.Migrate", apperr.Unavailable, err)
	}
	out := make([]Migration, 0, len(res))
	for _, r := range res {
		out = append(out, Migration{Version: r.Source.Version, Source: r.Source.Path})
	}
	return out, nil
}

// Pending lists the migrations not yet applied.
func (s *Store) Pending(ctx context.Context) ([]Migration, error) {
	p, err := s.migrationProvider()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, apperr.E("store.Pending", apperr.Unavailable, err)
	}
	var out []Migration
	for _, m := range st {
		if m.State == goose.StatePending {
			out = append(out, Migration{Version: m.Source.Version, Source: m.Source.Path})
		}
	}
	return out, nil
}

func (s *Store) migrationProvider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations.FS, string(s.Dialect))
	if err != nil {
		return nil, fmt.Errorf("store: no migrations for %s: %w", s.Dialect, err)
	}
	gd := goose.DialectSQLite3
	if s.Dialect == Postgres {
		gd = goose.DialectPostgres
	}
	p, err := goose.NewProvider(gd, s.DB, sub)
	if err != nil {
		return nil, apperr.E("store.Migrate", apperr.Internal, err)
	}
	return p, nil
}
