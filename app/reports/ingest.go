package reports

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"

	"scanboard/app/apperr"
	"scanboard/app/reports/parse"
	"scanboard/ent"
	"scanboard/ent/run"
)

// IngestRequest is one uploaded file. Body is read once, as a stream; the handler must not
// buffer it (with Fiber's StreamRequestBody the server-wide BodyLimit is off, so MaxBytes is
// what bounds it).
type IngestRequest struct {
	ProjectKey string
	UploaderID int
	// Filename as the client named it: kept for display and used as a hint by format
	// detection, never as a path. Required: its extension must be on the allowlist and fit
	// the format the content is detected as (FILE-04, see allowedExts).
	Filename string
	Tags     Tags
	Body     io.Reader // plain or gzip content
	// MaxBytes caps the body as sent; 0 means Config.MaxBytes.
	MaxBytes int64
}

// Tags describe the build a run tested.
type Tags struct {
	Build  string `json:"build,omitempty"`
	Commit string `json:"commit,omitempty"`
	Env    string `json:"env,omitempty"`
}

// Receipt is the answer to an upload.
//
// HTTP contract (implemented by the web layer, used by `mis upload`):
//
//	POST /api/v1/projects/{key}/runs?filename=NAME&build=B&commit=C&env=E
//	Authorization: Bearer <API token with the "upload" scope>
//	Content-Type: application/octet-stream | application/gzip
//	X-Filename: NAME            (alternative to ?filename=; the header wins)
//	<the raw file as the body, gzip-compressed or not; Content-Length or chunked>
//
// The name is required. Its extension, after an optional trailing .gz, must fit the
// format the content is detected as: .csv or .jtl for CSV formats (JMeter, k6 CSV,
// Locust), .xml or .jtl for XML (JMeter XML, JUnit), .json, .ndjson, .jsonl or .sarif for
// JSON (k6, Gatling stats, ZAP, SARIF), .log for a Gatling simulation.log.
//
// Answers, all JSON:
//
//	202 {"run_id":12,"status":"queued"}                  new run, processing in the background
//	200 {"run_id":7,"status":"ready","duplicate_of":7}    identical content was uploaded before
//	400 {"error":"…"}  no file name, an extension that is not accepted or does not fit the
//	                   content, unknown or malformed format (the message names the problem)
//	401 {"error":"…"}  missing, unknown, revoked or expired token
//	403 {"error":"…"}  the token lacks the upload scope
//	403 {"error":"…"}  the upload would take the token's owner past the number of files
//	                   (MIS_UPLOAD_QUOTA_FILES) or stored bytes (MIS_UPLOAD_QUOTA_BYTES) one
//	                   user may have; nothing is stored (a duplicate costs nothing)
//	404 {"error":"…"}  no such project, or not visible to the token's owner
//	413 {"error":"…"}  the body is over the limit (counted while streaming, chunked or not)
//
// Error bodies also carry "code", the message key (error.token_scope_missing,
// error.upload_quota_files, error.upload_quota_bytes …), which tells answers of one status
// apart, and "request_id".
//
// The body is never buffered whole: handlers pass it to Service.Ingest as a reader. Progress
// of a run is GET /api/v1/runs/{id} answering Progress as JSON.
type Receipt struct {
	RunID       int    `json:"run_id"`
	Status      string `json:"status"`
	DuplicateOf int    `json:"duplicate_of,omitempty"`
}

// errTooLarge marks a body over its limit inside the spooling pipeline.
var errTooLarge = errors.New("upload over the size limit")

// limitReader fails with errTooLarge once more than max bytes arrive, having read at most
// max+1 of them.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, errTooLarge
	}
	return n, err
}

// headWriter hashes everything, keeps the first DetectHeadSize bytes for detection and
// finds the line of the first NUL byte, which no text result file has (and PostgreSQL
// cannot store in a text column).
type headWriter struct {
	h    hash.Hash
	head []byte
	n    int64
	// lines counts the newlines before the first NUL; nulLine is its 1-based line, 0 while
	// none was seen.
	lines   int64
	nulLine int64
}

func (w *headWriter) Write(p []byte) (int, error) {
	w.h.Write(p)
	if room := parse.DetectHeadSize - len(w.head); room > 0 {
		w.head = append(w.head, p[:min(room, len(p))]...)
	}
	w.n += int64(len(p))
	if w.nulLine == 0 {
		if i := bytes.IndexByte(p, 0); i >= 0 {
			w.nulLine = w.lines + int64(bytes.Count(p[:i], []byte{'\n'})) + 1
		} else {
			w.lines += int64(bytes.Count(p, []byte{'\n'}))
		}
	}
	return len(p), nil
}

// Ingest stores an uploaded file and queues it for processing. It returns once the file is
// on disk and the run row exists; identical content already uploaded to the project returns
// the earlier run with DuplicateOf set and stores nothing (a failed earlier run is queued
// again). A body over the limit is TooLarge, an upload over its uploader's quota is
// Forbidden; either leaves nothing behind.
func (s *Service) Ingest(ctx context.Context, req IngestRequest) (*Receipt, error) {
	const op = "reports.Ingest"
	v, err := s.ViewerOf(ctx, req.UploaderID)
	if err != nil {
		return nil, apperr.E(op, err)
	}
	p, err := s.Project(ctx, v, req.ProjectKey)
	if err != nil {
		return nil, apperr.E(op, err)
	}
	limit := req.MaxBytes
	if limit <= 0 {
		limit = s.cfg.MaxBytes
	}
	name := cleanFilename(req.Filename)
	if err := checkName(op, name); err != nil {
		return nil, err
	}
	sp, err := s.spool(req.Body, limit)
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, apperr.E(op, apperr.TooLarge, apperr.Key("error.upload_too_large"),
				fmt.Errorf("%s is larger than the limit of %s", displayName(name), humanBytes(limit)))
		}
		if errors.Is(err, parse.ErrTooLarge) { // FILE-07: counted while decompressing
			return nil, apperr.E(op, apperr.TooLarge, apperr.Key("error.upload_too_large"),
				fmt.Errorf("%s is larger than the limit of %s once decompressed", displayName(name), humanBytes(s.cfg.MaxDecompressed)))
		}
		return nil, apperr.E(op, apperr.Invalid, apperr.Key("error.upload_unreadable"), fmt.Errorf("%s: %w", displayName(name), err))
	}
	keep := false
	defer func() {
		if !keep {
			_ = s.root.Remove(sp.tmp)
		}
	}()
	format, err := parse.Detect(name, sp.head)
	if err != nil {
		return nil, apperr.E(op, apperr.Invalid, apperr.Key("error.upload_format"), err)
	}
	if sp.nulLine > 0 { // FILE-09; Detect has named binary formats already
		return nil, apperr.E(op, apperr.Invalid, apperr.Key("error.upload_nul"), &Refusal{
			Msg:  fmt.Sprintf("%s:%d: the file contains a NUL byte; result files are text (a file saved as UTF-16 must be saved as UTF-8 first)", name, sp.nulLine),
			Data: map[string]any{"File": name, "Line": sp.nulLine},
		})
	}
	if err := checkNameFits(op, name, format); err != nil {
		return nil, err
	}
	if r, err := s.duplicate(ctx, p.ID, sp.sha); err != nil || r != nil {
		return r, err
	}
	if err := s.checkQuota(ctx, op, req.UploaderID, name, sp.stored); err != nil {
		return nil, err
	}
	final := path.Join(fmt.Sprint(p.ID), randomName()+".gz")
	if err := s.root.MkdirAll(path.Dir(final), 0o750); err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	if err := s.root.Rename(sp.tmp, final); err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	sp.tmp = final // from here on the deferred clean-up removes the final file on failure
	create := s.db.Run.Create().SetProjectID(p.ID).SetSourceFormat(string(format)).
		SetOriginalFilename(name).SetContentSha256(sp.sha).SetRawPath(path.Join(uploadsDir, final)).
		SetRawSize(sp.size).SetStoredSize(sp.stored).
		SetTagBuild(clip(req.Tags.Build, 200)).SetTagCommit(clip(req.Tags.Commit, 200)).SetTagEnv(clip(req.Tags.Env, 200))
	if req.UploaderID != 0 {
		create.SetUploaderID(req.UploaderID)
	}
	r, err := create.Save(ctx)
	if ent.IsConstraintError(err) {
		// The same content raced in from another request: answer with that run.
		if d, derr := s.duplicate(ctx, p.ID, sp.sha); d != nil || derr != nil {
			return d, derr
		}
	}
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	keep = true
	s.notify()
	s.cfg.Logger.InfoContext(ctx, "upload queued", "run", r.ID, "project", p.Key, "format", format, "bytes", sp.size, "user", req.UploaderID)
	return &Receipt{RunID: r.ID, Status: string(r.Status)}, nil
}

func (s *Service) duplicate(ctx context.Context, projectID int, sha string) (*Receipt, error) {
	r, err := s.db.Run.Query().Where(run.ProjectID(projectID), run.ContentSha256(sha)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, apperr.E("reports.Ingest", apperr.Unavailable, err)
	}
	if r.Status == run.StatusFailed {
		// Uploading a failed file again processes it again (a parser fix may have landed);
		// a concurrent requeue is harmless, so the row count is not checked.
		err := s.db.Run.Update().Where(run.ID(r.ID), run.StatusEQ(run.StatusFailed)).
			SetStatus(run.StatusQueued).SetAttempts(0).SetProgress(0).SetError("").Exec(ctx)
		if err != nil {
			return nil, apperr.E("reports.Ingest", apperr.Unavailable, err)
		}
		r.Status = run.StatusQueued
		s.notify()
	}
	return &Receipt{RunID: r.ID, Status: string(r.Status), DuplicateOf: r.ID}, nil
}

type spooled struct {
	tmp     string // path below the uploads root
	sha     string // of the decompressed content
	head    []byte
	size    int64 // decompressed bytes
	stored  int64 // compressed bytes on disk
	nulLine int64 // line of the first NUL byte; 0: none
}

// spool copies body (gzip or not) to a temporary gzip file, hashing the decompressed content
// and keeping its head. On error the temporary file is already gone.
func (s *Service) spool(body io.Reader, limit int64) (_ *spooled, err error) {
	sp := &spooled{tmp: path.Join(tmpDir, randomName()+".part")}
	f, err := s.root.OpenFile(sp.tmp, osCreateExcl, 0o640)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
			_ = s.root.Remove(sp.tmp)
		}
	}()
	src, err := parse.Open(&limitReader{r: body, left: limit}, parse.OpenOptions{MaxDecompressed: s.cfg.MaxDecompressed})
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	zw, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	hw := &headWriter{h: sha256.New()}
	if _, err := io.Copy(io.MultiWriter(zw, hw), src); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if err := f.Sync(); err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	sp.sha, sp.head, sp.size, sp.stored, sp.nulLine = hex.EncodeToString(hw.h.Sum(nil)), hw.head, hw.n, st.Size(), hw.nulLine
	return sp, nil
}

// randomName is a server-generated file name: 26 base32 characters, 128 bits.
func randomName() string { return strings.ToLower(rand.Text()) }

// cleanFilename keeps the last path element of a client's name, valid UTF-8 without control
// or format characters (bidi overrides that would show it reversed, zero-width spaces), at
// most 255 bytes: fit for display, never a path.
func cleanFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, name)
	return clip(strings.TrimSpace(name), 255)
}

func displayName(name string) string {
	if name == "" {
		return "the upload"
	}
	return name
}

// clip cuts s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
