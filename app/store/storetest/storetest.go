// Package storetest gives tests a fresh, migrated database: SQLite in a temporary folder
// always, or a throw-away PostgreSQL database when MIS_TEST_DATABASE_URL names a server
// (CI sets it). Tests call New and get the same real migrations the app runs.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scanboard/app/store"
)

// EnvDatabaseURL names the PostgreSQL server tests use when set.
const EnvDatabaseURL = "MIS_TEST_DATABASE_URL"

// New returns a migrated Store that is closed (and, on PostgreSQL, dropped) when the test
// ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	st := NewUnmigrated(t)
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatalf("storetest: migrate: %v", err)
	}
	return st
}

// NewUnmigrated is New without the migrations, for tests of the migrations themselves.
func NewUnmigrated(t testing.TB) *store.Store {
	t.Helper()
	url := URL(t)
	st, err := store.Open(context.Background(), url, 10*time.Second)
	if err != nil {
		t.Fatalf("storetest: open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// URL returns the URL of a fresh, empty database for this test.
func URL(t testing.TB) string {
	t.Helper()
	server := os.Getenv(EnvDatabaseURL)
	if server == "" {
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	}
	return freshPostgres(t, server)
}

// OnPostgres reports whether tests run against PostgreSQL.
func OnPostgres() bool { return os.Getenv(EnvDatabaseURL) != "" }

func freshPostgres(t testing.TB, server string) string {
	t.Helper()
	admin, err := sql.Open("postgres", server)
	if err != nil {
		t.Fatalf("storetest: %s: %v", EnvDatabaseURL, err)
	}
	defer admin.Close()
	name := "mis_test_" + strings.ToLower(rand.Text()[:16])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("storetest: create database on %s: %v", store.Redact(server), err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("postgres", server)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	return replaceDatabase(server, name)
}

// replaceDatabase swaps the database name in a postgres:// URL.
func replaceDatabase(server, name string) string {
	rest := ""
	if q := strings.IndexByte(server, '?'); q >= 0 {
		server, rest = server[:q], server[q:]
	}
	scheme := strings.Index(server, "://") + 3
	if i := strings.IndexByte(server[scheme:], '/'); i >= 0 {
		server = server[:scheme+i]
	}
	return server + "/" + name + rest
}
