package reports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Client uploads result files to a Scanboard server over the HTTP contract documented on
// Receipt. It is what `mis upload` runs in CI pipelines.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	Token   string // API token with the upload scope
	HTTP    *http.Client
}

// HTTPError is a non-2xx answer, with the server's message.
type HTTPError struct {
	Status  int
	Message string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// Upload sends one file to a project and returns the server's receipt.
func (c *Client) Upload(ctx context.Context, projectKey, path string, tags Tags) (*Receipt, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	u, err := url.Parse(strings.TrimRight(c.BaseURL, "/") + "/api/v1/projects/" + url.PathEscape(projectKey) + "/runs")
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q: want http(s)://host[:port]", c.BaseURL)
	}
	name := filepath.Base(path)
	q := url.Values{"filename": {name}}
	for k, v := range map[string]string{"build": tags.Build, "commit": tags.Commit, "env": tags.Env} {
		if v != "" {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), f)
	if err != nil {
		return nil, err
	}
	req.ContentLength = st.Size()
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("X-Filename", name)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/octet-stream")
	if strings.HasSuffix(strings.ToLower(name), ".gz") {
		req.Header.Set("Content-Type", "application/gzip")
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(body))
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		if len(msg) > 500 {
			msg = msg[:500] + "…"
		}
		return nil, &HTTPError{Status: resp.StatusCode, Message: msg}
	}
	var rc Receipt
	if err := json.Unmarshal(body, &rc); err != nil || rc.RunID == 0 {
		return nil, errors.New("the server's answer is not an upload receipt (is the URL a Scanboard server?)")
	}
	return &rc, nil
}
