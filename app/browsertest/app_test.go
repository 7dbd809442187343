package browsertest_test

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"scanboard/app/browsertest"
	"scanboard/app/store/storetest"
	"scanboard/app/wechatsandbox"
)

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// The harness itself needs no browser: these run in every `go test ./...`.
func TestStartRunsTheRealApp(t *testing.T) {
	t.Parallel()
	app := browsertest.Start(t, browsertest.Options{})

	resp, body := get(t, app.URL+"/readyz", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"status":"ok"`) {
		t.Fatalf("/readyz = %d %s, want 200 ok", resp.StatusCode, body)
	}
	resp, _ = get(t, app.URL+"/", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("GET / anonymous = %d Location %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if log := app.Log(); !strings.Contains(log, "Scanboard is listening") || !strings.Contains(log, app.URL) {
		t.Errorf("the captured log does not show mis listening on %s:\n%s", app.URL, log)
	}
	wantDB := "sqlite"
	if storetest.OnPostgres() {
		wantDB = "postgres"
	}
	if log := app.Log(); !strings.Contains(log, "database="+wantDB) {
		t.Errorf("the node does not use %s:\n%s", wantDB, log)
	}
	if !strings.HasPrefix(app.DatabaseURL, wantDB) {
		t.Errorf("DatabaseURL = %q, want a %s URL", app.DatabaseURL, wantDB)
	}
	if app.RedisURL != os.Getenv(browsertest.EnvRedisURL) {
		t.Errorf("RedisURL = %q, want MIS_TEST_REDIS_URL (%q)", app.RedisURL, os.Getenv(browsertest.EnvRedisURL))
	}
}

func TestStartGivesEachNodeItsOwnPortAndData(t *testing.T) {
	t.Parallel()
	a := browsertest.Start(t, browsertest.Options{})
	b := browsertest.Start(t, browsertest.Options{})
	if a.URL == b.URL || a.DataDir == b.DataDir || a.DatabaseURL == b.DatabaseURL {
		t.Fatalf("two apps share a port, data folder or database: %+v / %+v", a, b)
	}
	a.Sandbox.CreateUser(t, wechatsandbox.NewUser{Nickname: "only-in-a"})
	for _, u := range b.Sandbox.Users(t) {
		if u.Nickname == "only-in-a" {
			t.Fatal("a user created in one app's sandbox shows in the other's")
		}
	}
}

func TestStartEnvironment(t *testing.T) {
	// The developer's own MIS_* variables must not leak into the node; Options.Env must.
	t.Setenv("MIS_DEFAULT_LOCALE", "en")
	tests := []struct {
		name     string
		env      map[string]string
		wantLang string
	}{
		{"the test process's MIS_ variables are not passed on", nil, `lang="zh-CN"`},
		{"Options.Env is applied", map[string]string{"MIS_DEFAULT_LOCALE": "en"}, `lang="en"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := browsertest.Start(t, browsertest.Options{Env: tt.env})
			resp, body := get(t, app.URL+"/no-such-page", map[string]string{"Accept": "text/html"})
			if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, tt.wantLang) {
				t.Errorf("GET /no-such-page = %d, want 404 with %s:\n%.400s", resp.StatusCode, tt.wantLang, body)
			}
		})
	}
}

func TestSandboxControlAPI(t *testing.T) {
	t.Parallel()
	app := browsertest.Start(t, browsertest.Options{})
	sb := app.Sandbox

	u := sb.CreateUser(t, wechatsandbox.NewUser{Nickname: "小红", Phone: "13800001111"})
	if u.ID == "" || u.UnionID == "" || len(u.OpenIDs) == 0 {
		t.Fatalf("CreateUser = %+v, want ids", u)
	}
	if got := sb.User(t, u.ID); got.Nickname != "小红" || got.Phone != "13800001111" {
		t.Errorf("User(%s) = %+v", u.ID, got)
	}
	if got := sb.UserByNickname(t, "小红"); got.ID != u.ID {
		t.Errorf("UserByNickname = %s, want %s", got.ID, u.ID)
	}
	push := sb.Follow(t, u.ID)
	if push.Event != "subscribe" || len(push.Attempts) == 0 {
		t.Errorf("Follow pushed %+v, want a subscribe with attempts", push)
	}
	if pushes := sb.Pushes(t, 10); len(pushes) == 0 || pushes[0].ID != push.ID {
		t.Errorf("Pushes does not list the follow push %s first: %+v", push.ID, pushes)
	}
	if code := sb.MiniCode(t, u.ID); code == "" {
		t.Error("MiniCode gave an empty code")
	}
	if cfg := sb.Config(t); cfg["oa_appid"] == "" || cfg["oa_push_url"] != app.URL+"/wechat/push" {
		t.Errorf("Config = %v, want the OA appid and a push URL on this node", cfg)
	}

	var apiErr *browsertest.APIError
	err := sb.Do(t.Context(), http.MethodGet, "/users/nobody", nil, nil)
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("Do(GET /users/nobody) = %v, want a 404 APIError", err)
	}

	t.Run("faults", func(t *testing.T) {
		sb.AddFault(t, browsertest.Fault{Endpoint: "/cgi-bin/token", Errcode: 45009, Times: -1})
		var faults struct {
			Faults []wechatsandbox.Fault `json:"faults"`
		}
		if err := sb.Do(t.Context(), http.MethodGet, "/faults", nil, &faults); err != nil || len(faults.Faults) != 1 {
			t.Fatalf("GET /faults = %+v, %v; want the one fault added", faults, err)
		}
		// ClearFaults needs DELETE to reach the sandbox through the app.
		err := sb.Do(t.Context(), http.MethodDelete, "/faults", nil, nil)
		if errors.As(err, &apiErr) && apiErr.Status == http.StatusMethodNotAllowed {
			t.Skip("DELETE /_sandbox/api/faults answers 405: app/web/routes.go mounts the sandbox for GET and POST only")
		}
		sb.ClearFaults(t)
		if err := sb.Do(t.Context(), http.MethodGet, "/faults", nil, &faults); err != nil || len(faults.Faults) != 0 {
			t.Errorf("after ClearFaults, GET /faults = %+v, %v; want none", faults, err)
		}
	})
}

func TestPeerSharesDatabaseAndRedis(t *testing.T) {
	t.Parallel()
	if !storetest.OnPostgres() || os.Getenv(browsertest.EnvRedisURL) == "" {
		t.Skip("two nodes need MIS_TEST_DATABASE_URL and MIS_TEST_REDIS_URL")
	}
	a := browsertest.Start(t, browsertest.Options{Env: map[string]string{"MIS_DEFAULT_LOCALE": "en"}})
	b := a.Peer(t, browsertest.Options{})
	if b.URL == a.URL || b.DatabaseURL != a.DatabaseURL || b.RedisURL != a.RedisURL {
		t.Fatalf("peer %+v does not share the database and Redis of %+v", b, a)
	}
	if !strings.Contains(b.Log(), "storage=redis") {
		t.Errorf("the peer does not use Redis:\n%s", b.Log())
	}
	// The first node's Env carries over.
	if _, body := get(t, b.URL+"/no-such-page", map[string]string{"Accept": "text/html"}); !strings.Contains(body, `lang="en"`) {
		t.Errorf("the peer did not inherit MIS_DEFAULT_LOCALE=en:\n%.400s", body)
	}
}
