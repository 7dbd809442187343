// Package store opens Scanboard's database (SQLite or PostgreSQL), applies the embedded
// versioned migrations and runs transactions. It is the only package that knows how a
// connection is made; everything above it talks to the ent client.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/lib/pq" // PostgreSQL driver ("postgres"), the production database.
	"modernc.org/sqlite"  // pure-Go SQLite, so the default build needs no cgo.

	"scanboard/app/apperr"
	"scanboard/ent"
)

// Dialect is the database flavour behind a Store.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is an open database with its ent client.
type Store struct {
	Client  *ent.Client
	DB      *sql.DB
	Dialect Dialect
	// StmtCache counts the SQLite statement cache's hits and misses; nil on PostgreSQL.
	StmtCache *StmtCacheStats
}

// sqliteStmtCache is how many compiled statements each SQLite connection keeps. The
// application issues well under a hundred distinct statements on its hot paths.
const sqliteStmtCache = 256

// Open connects to databaseURL: a postgres:// or postgresql:// URL, or sqlite:PATH /
// file:PATH. It pings the database within connectTimeout so an unreachable server is
// reported at start-up, not at the first request.
func Open(ctx context.Context, databaseURL string, connectTimeout time.Duration) (*Store, error) {
	const op = "store.Open"
	d, dsn, err := ParseURL(databaseURL)
	if err != nil {
		return nil, apperr.E(op, apperr.Invalid, err)
	}
	var db *sql.DB
	var cache *StmtCacheStats
	switch d {
	case Postgres:
		db, err = sql.Open("postgres", dsn)
	case SQLite:
		if err := ensureDir(dsn); err != nil {
			return nil, apperr.E(op, apperr.Unavailable, err)
		}
		var conn driver.Connector
		if conn, err = sqlite.NewConnector(dsn); err == nil {
			cc := &stmtCacheConnector{inner: conn, size: sqliteStmtCache}
			cache = &cc.stats
			db = sql.OpenDB(cc)
		}
	}
	if err != nil {
		return nil, apperr.E(op, apperr.Invalid, err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, apperr.E(op, apperr.Unavailable, fmt.Errorf("cannot reach %s database at %s: %w", d, Redact(databaseURL), err))
	}
	if d == Postgres {
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(10)
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
	drv := entsql.OpenDB(d.Ent(), db)
	return &Store{Client: ent.NewClient(ent.Driver(drv)), DB: db, Dialect: d, StmtCache: cache}, nil
}

// ParseURL splits a database URL into its dialect and the DSN its driver takes. SQLite
// DSNs get the pragmas Scanboard relies on: foreign keys, WAL, a busy timeout, and
// immediate transactions so concurrent writers queue instead of failing.
func ParseURL(raw string) (Dialect, string, error) {
	switch {
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, err := url.Parse(raw)
		if err != nil {
			return "", "", fmt.Errorf("not a valid PostgreSQL URL: %v", redactErr(err, raw))
		}
		if u.Host == "" {
			return "", "", errors.New("PostgreSQL URL has no host")
		}
		return Postgres, raw, nil
	case strings.HasPrefix(raw, "sqlite:"), strings.HasPrefix(raw, "file:"):
		path := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "file:")
		path = strings.TrimPrefix(path, "//")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if path == "" {
			return "", "", errors.New("SQLite URL has no file path")
		}
		q := url.Values{}
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
		return SQLite, "file:" + path + "?" + q.Encode(), nil
	default:
		return "", "", errors.New(`must start with postgres://, postgresql://, sqlite: or file:`)
	}
}

// Redact hides the password in a database URL so it can be logged.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// redactErr keeps url.Parse errors from echoing the password back.
func redactErr(err error, raw string) string {
	msg := err.Error()
	if u, perr := url.Parse(raw); perr == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
	}
	return msg
}

func ensureDir(dsn string) error {
	path := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("cannot create the SQLite directory %s: %w", dir, err)
		}
	}
	return nil
}

// Ent is the name ent's SQL builder knows the dialect by (entsql.Dialect), for the few
// queries written with the builder instead of the generated client.
func (d Dialect) Ent() string {
	if d == Postgres {
		return dialect.Postgres
	}
	return dialect.SQLite
}

// Ping checks the database answers within ctx.
func (s *Store) Ping(ctx context.Context) error { return s.DB.PingContext(ctx) }

// Close closes the client and the connection pool.
func (s *Store) Close() error { return s.Client.Close() }

// Tx runs fn in a transaction, committing when it returns nil and rolling back otherwise
// (also when fn panics, after which the panic continues).
func (s *Store) Tx(ctx context.Context, fn func(tx *ent.Tx) error) (err error) {
	tx, err := s.Client.Tx(ctx)
	if err != nil {
		return apperr.E("store.Tx", apperr.Unavailable, err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return apperr.E("store.Tx", apperr.Unavailable, err)
	}
	return nil
}
