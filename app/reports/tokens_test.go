package reports

import (
	"context"
	"strings"
	"testing"
	"time"

	"scanboard/app/apperr"
	"scanboard/ent/apitoken"
	"scanboard/ent/user"
)

func TestTokens(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s := f.svc
	expiry := f.clock.Now().Add(time.Hour)
	raw, tok, err := s.CreateToken(ctx, f.user.ID, "ci", nil, &expiry)
	if err != nil {
		t.Fatal(err)
	}
	stored := f.st.Client.APIToken.GetX(ctx, tok.ID)
	if stored.TokenHash == raw || strings.Contains(stored.TokenHash, raw[4:20]) || !strings.HasPrefix(raw, stored.Prefix) {
		t.Fatalf("stored %q/%q for token %q: want only a hash and a display prefix", stored.TokenHash, stored.Prefix, raw)
	}
	if n := f.st.Client.APIToken.Query().Where(apitoken.TokenHash(hashToken(raw))).CountX(ctx); n != 1 {
		t.Fatalf("hash lookup found %d", n)
	}

	p, err := s.AuthenticateToken(ctx, raw)
	if err != nil || p.UserID != f.user.ID || !p.HasScope(ScopeUpload) {
		t.Fatalf("authenticate: %+v, %v", p, err)
	}
	used := f.st.Client.APIToken.GetX(ctx, tok.ID).LastUsedAt
	if used == nil || !used.Equal(f.clock.Now()) {
		t.Errorf("last use %v, want %v", used, f.clock.Now())
	}
	f.clock.Add(2 * time.Minute)
	if _, err := s.AuthenticateToken(ctx, raw); err != nil {
		t.Fatal(err)
	}
	if used2 := f.st.Client.APIToken.GetX(ctx, tok.ID).LastUsedAt; !used2.After(*used) {
		t.Errorf("last use not updated: %v then %v", used, used2)
	}

	other, _, err := s.CreateToken(ctx, f.user.ID, "laptop", []string{ScopeUpload}, nil)
	if err != nil {
		t.Fatal(err)
	}
	otherTok := f.st.Client.APIToken.Query().Where(apitoken.TokenHash(hashToken(other))).OnlyX(ctx)
	stranger := f.st.Client.User.Create().SetStatus(user.StatusActive).SaveX(ctx)
	if err := s.RevokeToken(ctx, stranger.ID, otherTok.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("revoking another user's token: %v, want NotFound", err)
	}
	if err := s.RevokeToken(ctx, f.user.ID, otherTok.ID); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListTokens(ctx, f.user.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %d, %v", len(list), err)
	}

	tests := []struct {
		name  string
		raw   string
		after time.Duration
		why   string
	}{
		{"revoked", other, 0, "revoked"},
		{"unknown", "mis_" + strings.Repeat("A", 52), 0, "unknown"},
		{"not a token", "Bearer xyz", 0, "not a Scanboard"},
		{"expired", raw, time.Hour, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.clock.Add(tt.after)
			_, err := s.AuthenticateToken(ctx, tt.raw)
			if !apperr.Is(err, apperr.Unauthorized) || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("err %v, want Unauthorized saying %q", err, tt.why)
			}
		})
	}

	live, _, err := s.CreateToken(ctx, f.user.ID, "disabled owner", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.st.Client.User.UpdateOneID(f.user.ID).SetStatus(user.StatusDisabled).ExecX(ctx)
	if _, err := s.AuthenticateToken(ctx, live); !apperr.Is(err, apperr.Unauthorized) {
		t.Errorf("token of a disabled user: %v", err)
	}
}

func TestProjectVisibility(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	member := f.st.Client.User.Create().SetStatus(user.StatusActive).SaveX(ctx)
	manager := f.st.Client.User.Create().SetStatus(user.StatusActive).SetRole(user.RoleManager).SaveX(ctx)
	if _, err := f.svc.CreateProject(ctx, ProjectInput{Key: "secret", Restricted: true, MemberIDs: []int{member.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateProject(ctx, ProjectInput{Key: "Bad Key"}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("bad key: %v", err)
	}
	if _, err := f.svc.CreateProject(ctx, ProjectInput{Key: "rules", SLARules: "p95<500ms\np99 < fast"}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("bad SLA rule: %v", err)
	}
	tests := []struct {
		name string
		v    Viewer
		want string
	}{
		{"employee", f.viewer(), "shop"},
		{"member", Viewer{UserID: member.ID, Role: "employee"}, "secret,shop"},
		{"manager", Viewer{UserID: manager.ID, Role: "manager"}, "secret,shop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := f.svc.ListProjects(ctx, tt.v)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, p := range ps {
				keys = append(keys, p.Key)
			}
			if got := strings.Join(keys, ","); got != tt.want {
				t.Errorf("sees %q, want %q", got, tt.want)
			}
			_, err = f.svc.Project(ctx, tt.v, "secret")
			if (err == nil) != strings.Contains(tt.want, "secret") {
				t.Errorf("Project(secret): %v", err)
			}
		})
	}
	// An employee cannot upload into a project they cannot see.
	_, err := f.svc.Ingest(ctx, IngestRequest{ProjectKey: "secret", UploaderID: f.user.ID, Filename: "a.csv", Body: strings.NewReader("x")})
	if !apperr.Is(err, apperr.NotFound) {
		t.Errorf("upload to an invisible project: %v", err)
	}
}
