package store_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"scanboard/app/store"
	"scanboard/app/store/storetest"
	"scanboard/ent"
	"scanboard/ent/user"
)

func TestMigrationsApplyAndMatchSchema(t *testing.T) {
	ctx := context.Background()
	st := storetest.NewUnmigrated(t)
	applied, err := st.Migrate(ctx)
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if len(applied) == 0 {
		t.Fatal("no migration applied on an empty database")
	}
	again, err := st.Migrate(ctx)
	if err != nil || len(again) != 0 {
		t.Fatalf("second migrate applied %d (err %v), want 0", len(again), err)
	}
	pending, err := st.Pending(ctx)
	if err != nil || len(pending) != 0 {
		t.Fatalf("pending after migrate = %v (err %v)", pending, err)
	}
	// What ent's auto-migration would still change is the drift between the schema and the
	// migration files. It must be nothing: a schema change needs `task generate:migration`.
	var buf bytes.Buffer
	if err := st.Client.Schema.WriteTo(ctx, &buf); err != nil {
		t.Fatalf("schema diff: %v", err)
	}
	if d := meaningfulDDL(buf.String()); d != "" {
		t.Fatalf("the ent schema and migrations/%s disagree; run `task generate:migration NAME=…`. Missing:\n%s", st.Dialect, d)
	}
}

// meaningfulDDL drops the transaction wrapper WriteTo prints around its statements.
func meaningfulDDL(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		l := strings.TrimSpace(line)
		if l == "" || l == "BEGIN;" || l == "COMMIT;" || strings.HasPrefix(l, "--") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

func TestTxRollsBackOnError(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	wantErr := context.Canceled
	err := st.Tx(ctx, func(tx *ent.Tx) error {
		if _, err := tx.User.Create().SetDisplayName("rolled back").Save(ctx); err != nil {
			return err
		}
		return wantErr
	})
	if err != wantErr {
		t.Fatalf("Tx error = %v, want %v", err, wantErr)
	}
	if n := st.Client.User.Query().Where(user.DisplayName("rolled back")).CountX(ctx); n != 0 {
		t.Fatalf("rolled-back user is visible (%d rows)", n)
	}
	err = st.Tx(ctx, func(tx *ent.Tx) error {
		_, err := tx.User.Create().SetDisplayName("kept").Save(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := st.Client.User.Query().Where(user.DisplayName("kept")).CountX(ctx); n != 1 {
		t.Fatalf("committed user count = %d, want 1", n)
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		in      string
		dialect store.Dialect
		wantErr string
	}{
		{"postgres://u:p@db:5432/mis?sslmode=disable", store.Postgres, ""},
		{"postgresql://db/mis", store.Postgres, ""},
		{"postgres:///mis", "", "no host"},
		{"sqlite:./data/x.db", store.SQLite, ""},
		{"file:/tmp/x.db?cache=shared", store.SQLite, ""},
		{"sqlite:", "", "no file path"},
		{"mysql://db/x", "", "must start with"},
		{"", "", "must start with"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, dsn, err := store.ParseURL(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || d != tt.dialect {
				t.Fatalf("ParseURL = %v, %q, %v", d, dsn, err)
			}
			if d == store.SQLite && !strings.Contains(dsn, "foreign_keys") {
				t.Errorf("SQLite DSN lacks the foreign-keys pragma: %s", dsn)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	got := store.Redact("postgres://mis:s3cret@db/mis")
	if strings.Contains(got, "s3cret") {
		t.Fatalf("password not redacted: %s", got)
	}
}

func TestOpenUnreachablePostgres(t *testing.T) {
	_, err := store.Open(context.Background(), "postgres://nobody:pw@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", 3e9)
	if err == nil {
		t.Fatal("open of an unreachable server succeeded")
	}
	if strings.Contains(err.Error(), ":pw@") {
		t.Fatalf("error leaks the password: %v", err)
	}
}
