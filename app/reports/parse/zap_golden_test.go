package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The -update flag rewrites golden files. Other parsers' tests in this package may define it
// too, so it is defined here only when nobody has yet (this file sorts last, so a plain
// flag.Bool elsewhere is initialised first).
var _ = defineUpdateFlag()

func defineUpdateFlag() bool {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata/")
	}
	return true
}

func updatingGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// checkGoldenJSON compares got, as indented JSON, with the golden file, or rewrites the file
// under -update.
func checkGoldenJSON(t *testing.T, golden string, got any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // ZAP descriptions are HTML; keep the golden files readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(got); err != nil {
		t.Fatalf("marshal: %v", err)
	}
	b := buf.Bytes()
	if updatingGolden() {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("output differs from %s (run go test -update and review the diff):\n%s", golden, firstDiff(string(want), string(b)))
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return "(identical lines; trailing difference)"
}

// testdataFiles lists files in testdata/dir matching pattern, failing if there are none.
func testdataFiles(t *testing.T, dir, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, pattern))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files in testdata/%s matching %s", dir, pattern)
	}
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".golden.json") {
			out = append(out, f)
		}
	}
	return out
}

// sharedExamples lists files of ../shared/testdata/examples with the prefix, or skips when
// the shared folder is not next to the repository (it is outside this module).
func sharedExamples(t *testing.T, glob string) []string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "..", "shared", "testdata", "examples")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared examples not available: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, glob))
	if len(files) == 0 {
		t.Fatalf("no shared examples match %s", glob)
	}
	return files
}

// requireParseError checks that err is a *Error naming the file, with a line when wantLine,
// and a message containing want.
func requireParseError(t *testing.T, err error, file, want string, wantLine bool) {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v (%T), want *parse.Error", err, err)
	}
	if pe.File != file {
		t.Errorf("error file = %q, want %q", pe.File, file)
	}
	if wantLine && pe.Line <= 0 {
		t.Errorf("error %q has no line", pe)
	}
	if !strings.Contains(pe.Msg, want) {
		t.Errorf("error %q does not contain %q", pe, want)
	}
}

// boundedReader yields the prefix, then the filler byte for ever, but fails once more than
// limit bytes have been read: a parser that returns its own error first has bounded its
// buffering.
type boundedReader struct {
	prefix []byte
	fill   byte
	read   int64
	limit  int64
}

var errReaderExhausted = errors.New("test reader: limit reached, the parser kept reading")

func (r *boundedReader) Read(p []byte) (int, error) {
	if r.read >= r.limit {
		return 0, errReaderExhausted
	}
	n := 0
	for n < len(p) && r.read < r.limit {
		if r.read < int64(len(r.prefix)) {
			p[n] = r.prefix[r.read]
		} else {
			p[n] = r.fill
		}
		n++
		r.read++
	}
	return n, nil
}
