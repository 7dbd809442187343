package web_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"scanboard/app/reports"
)

// rawExchange writes head (and then body, if any) on a fresh connection and reads the
// answer's status line. The body is written by a goroutine that stops at the first error,
// so a server that answers early is seen answering early.
func rawExchange(t *testing.T, base, head string, body []byte) (string, int) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A safety net so a server that waits for the rest of the body fails the test instead
	// of hanging it; the expectation is an answer without that rest.
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	written := make(chan int, 1)
	go func() {
		n, _ := conn.Write(body)
		written <- n
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	_ = conn.Close()
	return resp.Status, <-written
}

// FILE-01: over-limit uploads are refused having read at most the limit plus a buffer.
// A Content-Length over the limit is answered after the first buffer fasthttp pre-reads
// (8 KiB) although the client sends no more, and a chunked body is answered after limit+1
// bytes although the client never finishes it.
func TestFILE01RefusedWithoutReadingTheRest(t *testing.T) {
	const limit = 64 << 10
	u := newUploadEnv(t, limit)
	raw, _ := u.token(u.active)
	base := u.serve()
	head := "POST /api/v1/projects/shop/runs?filename=x.csv HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + raw +
		"\r\nContent-Type: application/octet-stream\r\n"
	preRead := []byte(strings.Repeat("x", 8<<10))
	t.Run("content-length over the limit, one buffer sent", func(t *testing.T) {
		status, _ := rawExchange(t, base, head+fmt.Sprintf("Content-Length: %d\r\n\r\n", 1<<30), preRead)
		if !strings.HasPrefix(status, "413") {
			t.Fatalf("status %s, want 413", status)
		}
	})
	t.Run("chunked over the limit, never finished", func(t *testing.T) {
		chunk := strings.Repeat("1719846000000,12,GET /,200,true\n", 1024) // 32 KiB
		var b strings.Builder
		b.WriteString("timeStamp,elapsed,label,responseCode,success\n")
		for b.Len() < limit+len(chunk) {
			b.WriteString(chunk)
		}
		body := fmt.Sprintf("%x\r\n%s\r\n", b.Len(), b.String()) // no terminating 0-chunk
		status, _ := rawExchange(t, base, head+"Transfer-Encoding: chunked\r\n\r\n", []byte(body))
		if !strings.HasPrefix(status, "413") {
			t.Fatalf("status %s, want 413", status)
		}
	})
	t.Run("other routes: content-length over the body limit, one buffer sent", func(t *testing.T) {
		h := fmt.Sprintf("POST /lang HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", 1<<30)
		status, _ := rawExchange(t, base, h, preRead)
		if !strings.HasPrefix(status, "413") {
			t.Fatalf("status %s, want 413", status)
		}
	})
	if n := len(u.leftovers()); n != 0 {
		t.Fatalf("%d temporary files left", n)
	}
}

// The client `mis upload` runs, against a running server: gzip file, tags, duplicate,
// and the server's refusals surfacing as HTTPError with the message.
func TestUploadClientAgainstServer(t *testing.T) {
	u := newUploadEnv(t, 1<<20)
	raw, _ := u.token(u.active)
	dir := t.TempDir()
	path := filepath.Join(dir, "results.csv.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	if _, err := zw.Write([]byte(sampleCSV)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ctx := context.Background()
	c := &reports.Client{BaseURL: u.serve(), Token: raw}
	rc, err := c.Upload(ctx, "shop", path, reports.Tags{Build: "9"})
	if err != nil || rc.Status != "queued" || rc.DuplicateOf != 0 {
		t.Fatalf("upload: %+v %v", rc, err)
	}
	again, err := c.Upload(ctx, "shop", path, reports.Tags{})
	if err != nil || again.DuplicateOf != rc.RunID {
		t.Fatalf("re-upload: %+v %v, want duplicate of %d", again, err, rc.RunID)
	}
	r, err := u.store.Client.Run.Get(ctx, rc.RunID)
	if err != nil || r.OriginalFilename != "results.csv.gz" || r.TagBuild != "9" {
		t.Fatalf("stored run %+v %v", r, err)
	}
	tests := []struct {
		name    string
		client  *reports.Client
		project string
		status  int
		has     string
	}{
		{"bad token", &reports.Client{BaseURL: u.serve(), Token: "mis_wrong"}, "shop", 401, "unknown API token"},
		{"invisible project", c, "vault", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.client.Upload(ctx, tt.project, path, reports.Tags{})
			var he *reports.HTTPError
			if !errors.As(err, &he) || he.Status != tt.status || !strings.Contains(he.Message, tt.has) {
				t.Fatalf("err %v, want HTTP %d with %q", err, tt.status, tt.has)
			}
		})
	}
}

// The real JMeter file of the acceptance test, through the API, gives the figures of its
// .truth.json.
func TestAPIUploadRealJMeterFile(t *testing.T) {
	const file = "../../../shared/testdata/real/jmeter-2.13-header.csv"
	if _, err := os.Stat(file); err != nil {
		t.Skipf("shared test data not present: %v", err)
	}
	u := newUploadEnv(t, 64<<20)
	raw, _ := u.token(u.active)
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	r := u.apiPost("/api/v1/projects/shop/runs?filename=jmeter-2.13-header.csv", raw, f, st.Size())
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("upload = %d %s", r.StatusCode, readBody(r))
	}
	rc := decodeJSON[reports.Receipt](t, r)
	u.process()
	req, _ := http.NewRequest(http.MethodGet, "/api/v1/runs/"+itoa(rc.RunID), nil)
	req.Header.Set("Authorization", "Bearer "+raw)
	got := decodeJSON[struct {
		Status  string `json:"status"`
		Samples int64  `json:"samples"`
		Errors  int64  `json:"errors"`
	}](t, u.browser().live(u, req))
	if got.Status != "ready" || got.Samples != 20700 || got.Errors != 2753 {
		t.Fatalf("run %+v, want ready with 20700 samples and 2753 errors (truth.json)", got)
	}
}
