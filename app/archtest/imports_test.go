// Package archtest checks the one-way dependency rule of ARCHITECTURE.md: cmd → web →
// (auth | reports) → store → ent, with views, wechat and reports/parse as leaves. It reads
// every non-test Go file's imports, so a wrong import fails `go test ./...` instead of
// waiting for review.
package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "scanboard"

// rule: packages under Dir (itself and below) must not import anything matching Deny, unless
// it matches Allow (more specific). Patterns ending in "/..." cover a subtree.
type rule struct {
	Dir   string
	Deny  []string
	Allow []string
	Why   string
}

var rules = []rule{
	{Dir: "views", Deny: []string{"scanboard/...", "github.com/gofiber/...", "entgo.io/..."}, Allow: []string{"scanboard/views/..."},
		Why: "views take view models: no ent entities, no Fiber contexts, no services"},
	{Dir: "app/wechat", Deny: []string{"scanboard/..."},
		Why: "the WeChat client is a leaf"},
	{Dir: "app/reports/parse", Deny: []string{"scanboard/..."}, Allow: []string{"scanboard/app/reports/parse"},
		Why: "parsers are pure"},
	{Dir: "app/reports/agg", Deny: []string{"scanboard/..."}, Allow: []string{"scanboard/app/reports/parse"},
		Why: "aggregation is pure"},
	{Dir: "app/reports/stats", Deny: []string{"scanboard/..."}, Allow: []string{"scanboard/app/reports/parse", "scanboard/app/reports/agg"},
		Why: "`mis report stats` runs offline, without the app"},
	{Dir: "app/wechatsandbox", Deny: []string{"scanboard/..."}, Allow: []string{"scanboard/views/sandbox", "scanboard/views/i18n"},
		Why: "the sandbox stands alone (its own crypto cross-checks the client's)"},
	{Dir: "app/apperr", Deny: []string{"scanboard/..."}, Why: "the error type is a leaf"},
	{Dir: "app/config", Deny: []string{"scanboard/..."}, Why: "config is a leaf"},
	{Dir: "app/kv", Deny: []string{"scanboard/...", "github.com/gofiber/fiber/..."}, Why: "shared storage knows nothing above it"},
	{Dir: "app/store", Deny: []string{"scanboard/app/...", "github.com/gofiber/fiber/..."}, Allow: []string{"scanboard/app/store/...", "scanboard/app/apperr"},
		Why: "store sits below auth, reports and web"},
	{Dir: "app/auth", Deny: []string{"scanboard/app/web/...", "scanboard/app/cmd/...", "scanboard/app/reports/...", "github.com/gofiber/..."},
		Why: "auth knows nothing of HTTP"},
	{Dir: "app/reports", Deny: []string{"scanboard/app/web/...", "scanboard/app/cmd/...", "scanboard/app/auth/...", "github.com/gofiber/..."},
		Why: "reports knows nothing of HTTP or sign-in"},
	{Dir: "ent", Deny: []string{"scanboard/app/...", "scanboard/views/..."}, Why: "ent is the bottom layer"},
	{Dir: "migrations", Deny: []string{"scanboard/app/..."}, Why: "migrations are data"},
	{Dir: "static", Deny: []string{"scanboard/..."}, Why: "static files are data"},
}

// Only the composition root may import the web package, and nothing imports cmd.
var onlyFrom = map[string][]string{
	"scanboard/app/web": {"app/cmd/mis"},
}

func TestImportRules(t *testing.T) {
	root := repoRoot(t)
	imports := packageImports(t, root)
	if len(imports) < 10 {
		t.Fatalf("found only %d packages under %s; the walk is broken", len(imports), root)
	}
	for dir, imps := range imports {
		for _, r := range rules {
			if dir != r.Dir && !strings.HasPrefix(dir, r.Dir+"/") {
				continue
			}
			for imp := range imps {
				if matchAny(imp, r.Deny) && !matchAny(imp, r.Allow) {
					t.Errorf("%s imports %s: %s", dir, imp, r.Why)
				}
			}
		}
		for imp := range imps {
			if strings.HasPrefix(imp, module+"/app/cmd") {
				t.Errorf("%s imports %s: nothing imports the composition root", dir, imp)
			}
			if allowed, ok := onlyFrom[imp]; ok && !contains(allowed, dir) {
				t.Errorf("%s imports %s: only %v may", dir, imp, allowed)
			}
		}
	}
}

func TestRulesCatchAViolation(t *testing.T) {
	// The matcher itself must fail on a known-bad import, or the test above proves nothing.
	r := rules[0]
	if !matchAny("scanboard/ent", r.Deny) || matchAny("scanboard/ent", r.Allow) {
		t.Fatal("views importing ent would not be caught")
	}
	if !matchAny("github.com/gofiber/fiber/v2", r.Deny) {
		t.Fatal("views importing Fiber would not be caught")
	}
}

func matchAny(imp string, patterns []string) bool {
	for _, p := range patterns {
		if strings.HasSuffix(p, "/...") {
			base := strings.TrimSuffix(p, "/...")
			if imp == base || strings.HasPrefix(imp, base+"/") {
				return true
			}
		} else if imp == p {
			return true
		}
	}
	return false
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// packageImports maps each package directory (relative, slash-separated) to the set of
// packages its non-test files import.
func packageImports(t *testing.T, root string) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules" || name == "data") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		if out[rel] == nil {
			out[rel] = map[string]bool{}
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out[rel][p] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
