// Command gen writes a new versioned migration for each dialect from the difference between
// the ent schema and the migrations already in migrations/{sqlite,postgres}. It replays the
// existing files on a throw-away database (in-memory SQLite; a temporary PostgreSQL
// database on the server named by -pg) and diffs that against the schema, so the files —
// never the running app — decide the database shape.
//
//	go run ./migrations/gen -name add_reports
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"

	"ariga.io/atlas/sql/sqltool"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"scanboard/ent/migrate"
)

func main() {
	name := flag.String("name", "", "migration name, e.g. add_reports (required)")
	only := flag.String("dialect", "all", "sqlite, postgres or all")
	pg := flag.String("pg", envOr("MIS_DEV_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL server to create a throw-away database on")
	flag.Parse()
	if *name == "" {
		log.Fatal("gen: -name is required")
	}
	ctx := context.Background()
	if *only == "all" || *only == "sqlite" {
		if err := genSQLite(ctx, *name); err != nil {
			log.Fatalf("gen sqlite: %v", err)
		}
	}
	if *only == "all" || *only == "postgres" {
		if err := genPostgres(ctx, *name, *pg); err != nil {
			log.Fatalf("gen postgres: %v", err)
		}
	}
}

func genSQLite(ctx context.Context, name string) error {
	db, err := sql.Open("sqlite", "file:dev?mode=memory&_pragma=foreign_keys(1)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: each in-memory connection is its own database
	return diff(ctx, db, dialect.SQLite, "migrations/sqlite", name)
}

func genPostgres(ctx context.Context, name, server string) error {
	admin, err := sql.Open("postgres", server)
	if err != nil {
		return err
	}
	defer admin.Close()
	dbname := "mis_gen_" + strings.ToLower(rand.Text()[:12])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+dbname); err != nil {
		return fmt.Errorf("create dev database: %w", err)
	}
	defer admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+dbname+" WITH (FORCE)")
	dsn, err := withDatabase(server, dbname)
	if err != nil {
		return err
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return diff(ctx, db, dialect.Postgres, "migrations/postgres", name)
}

func diff(ctx context.Context, db *sql.DB, d, dir, name string) error {
	ldir, err := sqltool.NewGooseDir(dir)
	if err != nil {
		return err
	}
	s := migrate.NewSchema(entsql.OpenDB(d, db))
	return s.NamedDiff(ctx, name,
		schema.WithDir(ldir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(d),
		schema.WithFormatter(sqltool.GooseFormatter),
		schema.WithDropIndex(true),
		schema.WithDropColumn(true),
	)
}

func withDatabase(server, dbname string) (string, error) {
	i := strings.LastIndexByte(server, '/')
	if i < len("postgres://") {
		return "", fmt.Errorf("cannot find the database name in %q", server)
	}
	rest := ""
	if q := strings.IndexByte(server[i:], '?'); q >= 0 {
		rest = server[i+q:]
	}
	return server[:i+1] + dbname + rest, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
