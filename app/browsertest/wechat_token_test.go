package browsertest_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"testing"

	"scanboard/app/browsertest"
)

// startAttempt opens /login and asks for a QR login attempt, as the login page's script does.
func startAttempt(t *testing.T, base string) int {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	_, body := getWith(t, c, base+"/login")
	m := regexp.MustCompile(`name="csrf-token" content="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on /login")
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/login/attempts", nil)
	req.Header.Set("X-CSRF-Token", m[1])
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func getWith(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestSecondNodeRefreshesASandboxToken: node 2 finds node 1's WeChat access token in the
// shared Redis, its own sandbox rejects it (40001), and the client must fetch a fresh one
// and succeed. Through Fiber's adaptor the sandbox used to keep strings that pointed into
// reused request buffers, so the fresh token came back as another app's (48001) and the
// QR could not be made until the process restarted.
func TestSecondNodeRefreshesASandboxToken(t *testing.T) {
	app := browsertest.Start(t, browsertest.Options{})
	if got := startAttempt(t, app.URL); got != http.StatusOK {
		t.Fatalf("node 1: POST /login/attempts = %d\n%s", got, app.Log())
	}
	peer := app.Peer(t, browsertest.Options{})
	for i := range 3 {
		if got := startAttempt(t, peer.URL); got != http.StatusOK {
			t.Fatalf("node 2, attempt %d: POST /login/attempts = %d\n%s", i, got, peer.Log())
		}
	}
}
