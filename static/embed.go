// Package static embeds Scanboard's CSS, scripts and images (including the packages
// vendored from the npm registry by vendor.sh) and names each by a content hash, so pages
// can link them with long-lived cache headers and a new build never serves a stale file.
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
)

//go:embed css js vendor img
var files embed.FS

// Asset is one embedded file, ready to serve.
type Asset struct {
	Name        string // path below /static/, e.g. "vendor/htmx.min.js"
	ContentType string
	Hash        string // first 16 hex digits of the SHA-256: the version and the ETag
	Body        []byte
	Gzip        []byte // nil when compression does not pay
}

// Assets is the set of embedded files.
type Assets struct{ m map[string]*Asset }

// Load reads and hashes every embedded file (and pre-compresses the text ones once, so
// requests never compress).
func Load() (*Assets, error) {
	a := &Assets{m: map[string]*Asset{}}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".LICENSE") || path.Base(p) == "VERSIONS" {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		if strings.HasPrefix(ct, "text/") && !strings.Contains(ct, "charset") {
			ct += "; charset=utf-8"
		}
		as := &Asset{Name: p, ContentType: ct, Hash: hex.EncodeToString(sum[:8]), Body: body}
		if compressible(ct) && len(body) > 1024 {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(body)
			zw.Close()
			if buf.Len() < len(body)*9/10 {
				as.Gzip = buf.Bytes()
			}
		}
		a.m[p] = as
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func compressible(ct string) bool {
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "javascript") ||
		strings.Contains(ct, "json") || strings.Contains(ct, "svg")
}

// Get returns the asset called name (no leading slash).
func (a *Assets) Get(name string) (*Asset, bool) {
	as, ok := a.m[name]
	return as, ok
}

// Path returns the versioned URL of name. An unknown name panics: it is a typo in a
// template, caught by the first test that renders it.
func (a *Assets) Path(name string) string {
	as, ok := a.m[name]
	if !ok {
		panic("static: no asset " + name)
	}
	return "/static/" + name + "?v=" + as.Hash
}
