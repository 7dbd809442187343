package web

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// TestSC01_SC02_VersionFloors fails the build when go.mod lets Fiber or fasthttp resolve
// below the versions that close the known advisories (security checklist §0). Both are
// required directly, so the selected version is never below what go.mod names.
func TestSC01_SC02_VersionFloors(t *testing.T) {
	path, err := filepath.Abs("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.Parse(path, raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	floors := map[string]string{
		"github.com/gofiber/fiber/v2": "v2.52.15",
		"github.com/valyala/fasthttp": "v1.70.0",
	}
	for _, r := range mf.Require {
		if floor, ok := floors[r.Mod.Path]; ok {
			if semver.Compare(r.Mod.Version, floor) < 0 {
				t.Errorf("%s %s is below the floor %s", r.Mod.Path, r.Mod.Version, floor)
			}
			delete(floors, r.Mod.Path)
		}
	}
	for p := range floors {
		t.Errorf("go.mod does not require %s explicitly", p)
	}
	for _, r := range mf.Replace {
		if r.Old.Path == "github.com/gofiber/fiber/v2" || r.Old.Path == "github.com/valyala/fasthttp" {
			t.Errorf("go.mod replaces %s; the floor check cannot vouch for a replacement", r.Old.Path)
		}
	}
	if mf.Toolchain == nil && (mf.Go == nil || semver.Compare("v"+mf.Go.Version, "v1.26.6") < 0) {
		t.Errorf("go.mod needs go ≥ 1.26.6 or a toolchain line (SC-03: encoding/xml depth fix)")
	}
}
