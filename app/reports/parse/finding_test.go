package parse

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"reflect"
	"slices"
	"testing"
)

// loadJSONTree reads a test file as a generic JSON tree for rewriting.
func loadJSONTree(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tree map[string]any
	if err := json.Unmarshal(b, &tree); err != nil {
		t.Fatal(err)
	}
	return tree
}

func encodeJSONTree(t *testing.T, tree any) *bytes.Reader {
	t.Helper()
	b, err := json.Marshal(tree)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

func list(v any) []any { l, _ := v.([]any); return l }

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

// diffScans returns the fingerprints new in b, fixed since a, and open in both.
func diffScans(a, b *SecurityReport) (added, fixed, open []string) {
	fa, fb := fingerprints(a), fingerprints(b)
	for fp := range fb {
		if _, ok := fa[fp]; ok {
			open = append(open, fp)
		} else {
			added = append(added, fp)
		}
	}
	for fp := range fa {
		if _, ok := fb[fp]; !ok {
			fixed = append(fixed, fp)
		}
	}
	return added, fixed, open
}

func TestZAPFingerprintsStable(t *testing.T) {
	orig := parseSecurityFile(t, "testdata/zap/two-sites.json", zapFile)
	tests := []struct {
		name   string
		mutate func(tree map[string]any)
	}{
		{"sites, alerts and instances reordered", func(tree map[string]any) {
			slices.Reverse(list(tree["site"]))
			for _, s := range list(tree["site"]) {
				slices.Reverse(list(obj(s)["alerts"]))
				for _, a := range list(obj(s)["alerts"]) {
					slices.Reverse(list(obj(a)["instances"]))
				}
			}
		}},
		{"timestamps, ids and counts changed", func(tree map[string]any) {
			tree["@generated"] = "Wed, 3 Jul 2024 10:11:12"
			tree["created"] = "2024-07-03T10:11:12Z"
			for _, s := range list(tree["site"]) {
				for _, a := range list(obj(s)["alerts"]) {
					obj(a)["count"] = "99"
					for i, in := range list(obj(a)["instances"]) {
						obj(in)["id"] = string(rune('a' + i))
					}
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree := loadJSONTree(t, "testdata/zap/two-sites.json")
			tt.mutate(tree)
			got, err := ZAP(encodeJSONTree(t, tree), "mutated.json")
			if err != nil {
				t.Fatal(err)
			}
			checkSecurityInvariants(t, got)
			if !reflect.DeepEqual(fingerprints(got), fingerprints(orig)) {
				t.Errorf("fingerprints changed:\n got %v\nwant %v", fingerprints(got), fingerprints(orig))
			}
			if !reflect.DeepEqual(got.Findings, orig.Findings) {
				t.Error("findings differ beyond fingerprints: output depends on file order")
			}
		})
	}

	t.Run("risk re-rated keeps the instance open", func(t *testing.T) {
		tree := loadJSONTree(t, "testdata/zap/two-sites.json")
		for _, s := range list(tree["site"]) {
			for _, a := range list(obj(s)["alerts"]) {
				obj(a)["riskcode"], obj(a)["confidence"] = "3", "4"
			}
		}
		got, err := ZAP(encodeJSONTree(t, tree), "rerated.json")
		if err != nil {
			t.Fatal(err)
		}
		if added, fixed, _ := diffScans(orig, got); len(added)+len(fixed) != 0 {
			t.Errorf("re-rating changed identities: %d new, %d fixed", len(added), len(fixed))
		}
	})
}

func TestZAPFingerprintsDiffScans(t *testing.T) {
	orig := parseSecurityFile(t, "testdata/zap/two-sites.json", zapFile)
	tree := loadJSONTree(t, "testdata/zap/two-sites.json")
	// Next scan: the login XSS is fixed, a new XSS appears on /profile.
	for _, s := range list(tree["site"]) {
		for _, a := range list(obj(s)["alerts"]) {
			if obj(a)["pluginid"] != "40012" {
				continue
			}
			ins := list(obj(a)["instances"])
			ins[1] = map[string]any{"uri": "https://shop.example.test/profile", "method": "POST", "param": "bio"}
		}
	}
	next, err := ZAP(encodeJSONTree(t, tree), "next.json")
	if err != nil {
		t.Fatal(err)
	}
	added, fixed, open := diffScans(orig, next)
	na, nf := fingerprints(next), fingerprints(orig)
	if len(added) != 1 || len(fixed) != 1 || len(open) != 5 {
		t.Fatalf("new %d, fixed %d, open %d; want 1, 1, 5", len(added), len(fixed), len(open))
	}
	if want := "40012 POST https://shop.example.test/profile bio :0 "; na[added[0]] != want {
		t.Errorf("new = %q, want %q", na[added[0]], want)
	}
	if want := "40012 POST https://shop.example.test/login user :0 "; nf[fixed[0]] != want {
		t.Errorf("fixed = %q, want %q", nf[fixed[0]], want)
	}
}

func TestFingerprintsOfDuplicateInstances(t *testing.T) {
	// ZAP lists one URL/method/param twice for 10021 (different otherinfo); each instance gets
	// its own fingerprint, tied to its content, whichever comes first in the file.
	orig := parseSecurityFile(t, "testdata/zap/two-sites.json", zapFile)
	byInfo := func(rep *SecurityReport) map[string]string {
		out := make(map[string]string)
		for fp, desc := range fingerprints(rep) {
			out[desc] = fp
		}
		return out
	}
	want := byInfo(orig)
	first, second := want["10021 GET https://shop.example.test/static/app.js x-content-type-options :0 first"],
		want["10021 GET https://shop.example.test/static/app.js x-content-type-options :0 second"]
	if first == "" || second == "" || first == second {
		t.Fatalf("duplicate instances not told apart: %v", slices.Collect(maps.Keys(want)))
	}
	tree := loadJSONTree(t, "testdata/zap/two-sites.json")
	slices.Reverse(list(obj(list(obj(list(tree["site"])[0])["alerts"])[1])["instances"]))
	got, err := ZAP(encodeJSONTree(t, tree), "swapped.json")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(byInfo(got), want) {
		t.Error("swapping duplicate instances changed their fingerprints")
	}
}

func TestSARIFFingerprintsStable(t *testing.T) {
	orig := parseSecurityFile(t, "testdata/sarif/multi-run.sarif.json", sarifFile)
	tree := loadJSONTree(t, "testdata/sarif/multi-run.sarif.json")
	runs := list(tree["runs"])
	slices.Reverse(runs)
	for _, r := range runs {
		slices.Reverse(list(obj(r)["results"]))
		for _, inv := range list(obj(r)["invocations"]) {
			obj(inv)["startTimeUtc"], obj(inv)["endTimeUtc"] = "2025-01-01T00:00:00Z", "2025-01-01T00:09:00Z"
		}
		// Lines added above every finding: without tool fingerprints the identity must
		// not depend on the line.
		for _, res := range list(obj(r)["results"]) {
			if obj(res)["partialFingerprints"] != nil {
				continue
			}
			for _, loc := range list(obj(res)["locations"]) {
				if reg := obj(obj(obj(loc)["physicalLocation"])["region"]); reg != nil {
					reg["startLine"] = reg["startLine"].(float64) + 10
				}
			}
		}
	}
	got, err := SARIFReport(encodeJSONTree(t, tree), "mutated.sarif")
	if err != nil {
		t.Fatal(err)
	}
	checkSecurityInvariants(t, got)
	lines := func(rep *SecurityReport) map[string]bool {
		out := make(map[string]bool)
		for fp := range fingerprints(rep) {
			out[fp] = true
		}
		return out
	}
	if !reflect.DeepEqual(lines(got), lines(orig)) {
		t.Errorf("fingerprints changed:\n got %v\nwant %v", fingerprints(got), fingerprints(orig))
	}

	t.Run("partialFingerprints decide when present", func(t *testing.T) {
		tree := loadJSONTree(t, "testdata/sarif/multi-run.sarif.json")
		res := obj(list(obj(list(tree["runs"])[0])["results"])[0])
		// The code moved to another file, but the tool says it is the same finding.
		obj(obj(obj(list(res["locations"])[0])["physicalLocation"])["artifactLocation"])["uri"] = "src/db/accounts.js"
		moved, err := SARIFReport(encodeJSONTree(t, tree), "moved.sarif")
		if err != nil {
			t.Fatal(err)
		}
		if added, fixed, _ := diffScans(orig, moved); len(added)+len(fixed) != 0 {
			t.Errorf("moving a fingerprinted result changed its identity")
		}
		obj(res["partialFingerprints"])["primaryLocationLineHash"] = "0000000000000000:1"
		changed, err := SARIFReport(encodeJSONTree(t, tree), "changed.sarif")
		if err != nil {
			t.Fatal(err)
		}
		if added, fixed, _ := diffScans(orig, changed); len(added) != 1 || len(fixed) != 1 {
			t.Errorf("a new partial fingerprint should be a new finding: %d new, %d fixed", len(added), len(fixed))
		}
	})
}
