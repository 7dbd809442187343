package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"modernc.org/sqlite"
)

// openCached opens a SQLite file through the statement cache with room for size statements
// and one connection, so every call meets the same cache.
func openCached(t *testing.T, size int) (*sql.DB, *StmtCacheStats) {
	t.Helper()
	_, dsn, err := ParseURL("sqlite:" + filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	inner, err := sqlite.NewConnector(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cc := &stmtCacheConnector{inner: inner, size: size}
	db := sql.OpenDB(cc)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)`); err != nil {
		t.Fatal(err)
	}
	return db, &cc.stats
}

func TestStmtCacheReusesCompiledStatements(t *testing.T) {
	db, stats := openCached(t, 8)
	for i := range 20 {
		if _, err := db.Exec(`INSERT INTO t (id, name) VALUES (?, ?)`, i, "n"+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		var name string
		if err := db.QueryRow(`SELECT name FROM t WHERE id = ?`, i).Scan(&name); err != nil {
			t.Fatal(err)
		}
		if want := "n" + string(rune('a'+i)); name != want {
			t.Fatalf("id %d: got %q, want %q (a reused statement kept an old argument?)", i, name, want)
		}
	}
	// One compile each for CREATE, INSERT and SELECT; every other call is a hit.
	if h, m := stats.Hits.Load(), stats.Misses.Load(); h != 38 || m != 3 {
		t.Fatalf("hits %d, misses %d; want 38 and 3", h, m)
	}
}

// seedAndBegin inserts rows a, b, c … with ids 0…n-1 and starts a transaction, rolled back
// at the end of the test.
func seedAndBegin(t *testing.T, db *sql.DB, n int) *sql.Tx {
	t.Helper()
	for i := range n {
		if _, err := db.Exec(`INSERT INTO t (id, name) VALUES (?, ?)`, i, string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	return tx
}

func TestStmtCacheSameStatementTwiceAtOnce(t *testing.T) {
	db, stats := openCached(t, 8)
	tx := seedAndBegin(t, db, 3)
	ctx := context.Background()
	const q = `SELECT id, name FROM t WHERE id >= ? ORDER BY id`
	outer, err := tx.QueryContext(ctx, q, 0)
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for outer.Next() {
		var id int
		var name string
		if err := outer.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		// The same text while the outer rows are open: it must not reset them.
		inner, err := tx.QueryContext(ctx, q, id)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for inner.Next() {
			n++
		}
		if err := inner.Close(); err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, name+string(rune('0'+n)))
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	if got := len(pairs); got != 3 || pairs[0] != "a3" || pairs[1] != "b2" || pairs[2] != "c1" {
		t.Fatalf("rows %v; want [a3 b2 c1]", pairs)
	}
	if stats.Bypassed.Load() < 3 {
		t.Fatalf("bypassed %d; the busy statement was handed out again", stats.Bypassed.Load())
	}
}

func TestStmtCacheEvictionWhileRowsAreOpen(t *testing.T) {
	db, _ := openCached(t, 1)
	tx := seedAndBegin(t, db, 5)
	ctx := context.Background()
	rows, err := tx.QueryContext(ctx, `SELECT name FROM t ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got += s
		// Another statement evicts the one being read from the one-slot cache.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM t WHERE id < ?`, len(got)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(got) {
			t.Fatalf("count %d, want %d", n, len(got))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if got != "abcde" {
		t.Fatalf("read %q while evicted; want abcde", got)
	}
}

func TestStmtCacheStatementSurvivesAnError(t *testing.T) {
	db, stats := openCached(t, 8)
	const ins = `INSERT INTO t (id, name) VALUES (?, ?)`
	if _, err := db.Exec(ins, 1, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ins, 2, "x"); err == nil {
		t.Fatal("duplicate name accepted")
	}
	if _, err := db.Exec(ins, 3, "y"); err != nil {
		t.Fatalf("the statement is unusable after a failed run: %v", err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("count %d, %v; want 2", n, err)
	}
	if stats.Hits.Load() < 2 {
		t.Fatalf("hits %d; the insert was recompiled", stats.Hits.Load())
	}
}

func TestStmtCacheSchemaChangeAndScripts(t *testing.T) {
	db, stats := openCached(t, 8)
	cols := func() int {
		rows, err := db.Query(`SELECT * FROM t`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		c, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		return len(c)
	}
	if n := cols(); n != 2 {
		t.Fatalf("%d columns, want 2", n)
	}
	// A script runs uncached, and a cached SELECT * sees the new column.
	before := stats.Bypassed.Load()
	if _, err := db.Exec(`ALTER TABLE t ADD COLUMN extra TEXT; INSERT INTO t (id, name, extra) VALUES (9, 'z', 'e');`); err != nil {
		t.Fatal(err)
	}
	if stats.Bypassed.Load() != before+1 {
		t.Fatalf("the script went through the cache")
	}
	if n := cols(); n != 3 {
		t.Fatalf("%d columns after ALTER TABLE, want 3: a stale compiled statement", n)
	}
	var extra string
	if err := db.QueryRow(`SELECT extra FROM t WHERE id = 9`).Scan(&extra); err != nil || extra != "e" {
		t.Fatalf("extra %q, %v", extra, err)
	}
}
