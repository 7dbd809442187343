package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func parseSecurityFile(t *testing.T, path string, parse func(r *os.File, name string) (*SecurityReport, error)) *SecurityReport {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	rep, err := parse(f, filepath.Base(path))
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	checkSecurityInvariants(t, rep)
	return rep
}

func zapFile(f *os.File, name string) (*SecurityReport, error)   { return ZAP(f, name) }
func sarifFile(f *os.File, name string) (*SecurityReport, error) { return SARIFReport(f, name) }

// checkSecurityInvariants checks what every SecurityReport promises: totals match the
// instances, fingerprints are unique, findings are sorted and risks are known values.
func checkSecurityInvariants(t testing.TB, rep *SecurityReport) {
	t.Helper()
	var counts RiskCounts
	seen := make(map[string]bool)
	for i, f := range rep.Findings {
		if f.Risk.Rank() < 0 {
			t.Fatalf("finding %s has risk %q", f.RuleID, f.Risk)
		}
		if i > 0 && rep.Findings[i-1].Risk.Rank() < f.Risk.Rank() {
			t.Fatalf("findings not sorted by risk at %d", i)
		}
		if len(f.Instances) == 0 {
			t.Fatalf("finding %s has no instance", f.RuleID)
		}
		for _, in := range f.Instances {
			if len(in.Fingerprint) != 32 || seen[in.Fingerprint] {
				t.Fatalf("fingerprint %q of %s is malformed or not unique", in.Fingerprint, f.RuleID)
			}
			seen[in.Fingerprint] = true
			if len(in.Evidence) > clipShort || len(in.URI) > clipName || len(in.Message) > clipShort {
				t.Fatalf("instance of %s keeps more text than the limits", f.RuleID)
			}
			countRisk(&counts, f.Risk, in.Suppressed)
		}
	}
	if counts != rep.Totals {
		t.Fatalf("totals %+v, recomputed %+v", rep.Totals, counts)
	}
}

// fingerprints maps each instance's fingerprint to a readable description of it.
func fingerprints(rep *SecurityReport) map[string]string {
	out := make(map[string]string)
	for _, f := range rep.Findings {
		for _, in := range f.Instances {
			out[in.Fingerprint] = fmt.Sprintf("%s %s %s %s %s:%d %s", f.RuleID, in.Method, in.URI, in.Param, in.File, in.Line, in.OtherInfo)
		}
	}
	return out
}

func TestZAPGolden(t *testing.T) {
	for _, path := range testdataFiles(t, "zap", "*.json") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			rep := parseSecurityFile(t, path, zapFile)
			checkGoldenJSON(t, strings.TrimSuffix(path, ".json")+".golden.json", rep)
		})
	}
}

func TestZAPSharedExample(t *testing.T) {
	for _, path := range sharedExamples(t, "zap-*.json") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			rep := parseSecurityFile(t, path, zapFile)
			if len(rep.Findings) != 1 || rep.Findings[0].Risk != RiskMedium || rep.Findings[0].Confidence != ConfidenceHigh ||
				rep.Findings[0].CWE != 693 || rep.Findings[0].RuleID != "10038-1" {
				t.Errorf("findings = %+v", rep.Findings)
			}
		})
	}
}

func TestZAPMapping(t *testing.T) {
	rep := parseSecurityFile(t, "testdata/zap/two-sites.json", zapFile)
	want := RiskCounts{High: 2, Low: 3, Info: 1}
	if rep.Totals != want {
		t.Errorf("totals = %+v, want %+v", rep.Totals, want)
	}
	if len(rep.Tools) != 1 || rep.Tools[0] != (Tool{"ZAP", "2.15.0"}) || rep.Created != "Tue, 2 Jul 2024 09:00:00" {
		t.Errorf("tools %+v created %q", rep.Tools, rep.Created)
	}
	byRule := make(map[string]Finding)
	for _, f := range rep.Findings {
		byRule[f.RuleID] = f
	}
	xss := byRule["40012"]
	if xss.Risk != RiskHigh || xss.Confidence != ConfidenceMedium || xss.CWE != 79 || len(xss.Instances) != 2 {
		t.Errorf("xss = %+v", xss)
	}
	if in := xss.Instances[0]; in.Method != "POST" || in.Param != "user" {
		t.Errorf("first xss instance = %+v (want sorted by URI)", in)
	}
	// One rule on two sites is one finding; numeric riskcode accepted.
	if hdr := byRule["10021"]; hdr.Risk != RiskLow || len(hdr.Instances) != 3 {
		t.Errorf("header finding = %+v", hdr)
	}
	// An alert without instances still counts once, at its site; cweid -1 means none.
	if ts := byRule["10096"]; len(ts.Instances) != 1 || ts.Instances[0].URI != "http://admin.example.test:8080" || ts.CWE != 0 || ts.Risk != RiskInfo {
		t.Errorf("systemic finding = %+v", ts)
	}
}

func TestZAPByteOrderMark(t *testing.T) {
	b, err := os.ReadFile("testdata/zap/traditional.json")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ZAP(bytes.NewReader(append([]byte("\ufeff"), b...)), "bom.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 {
		t.Errorf("findings = %d, want 1", len(rep.Findings))
	}
}

func TestZAPErrors(t *testing.T) {
	example, err := os.ReadFile("testdata/zap/traditional.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in, want string
		line           bool
	}{
		{"empty file", "", "truncated", false},
		{"truncated", string(example[:len(example)*2/3]), "truncated", true},
		{"not an object", `[1,2]`, "expected a JSON object", true},
		{"no sites", `{"@programName":"ZAP"}`, `no "site"`, false},
		{"syntax error located", "{\n  \"site\": [\n    {\"alerts\": [ {\"pluginid\": \"1\",, } ]}\n  ]\n}", "invalid JSON", true},
		{"bad riskcode", `{"site":[{"alerts":[{"pluginid":"1","riskcode":"7"}]}]}`, "riskcode", true},
		{"no rule id", `{"site":[{"alerts":[{"riskcode":"1"}]}]}`, "neither pluginid", true},
		{"instance is not an object", `{"site":[{"alerts":[{"pluginid":"1","riskcode":"1","instances":["x"]}]}]}`, "expected", true},
		{"uri is an object", `{"site":[{"alerts":[{"pluginid":"1","riskcode":"1","instances":[{"uri":{}}]}]}]}`, "uri", true},
		{"trailing data", `{"site":[]} {"site":[]}`, "after the end", true},
		{"deep nesting in unknown member", `{"x":` + strings.Repeat("[", maxNesting+5), "nested more than", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := ZAP(strings.NewReader(tt.in), "zap.json")
			if err == nil {
				t.Fatalf("no error, got %+v", rep)
			}
			requireParseError(t, err, "zap.json", tt.want, tt.line)
		})
	}
	t.Run("alert error points at the alert", func(t *testing.T) {
		in := "{\"site\": [{\"alerts\": [\n  {\"pluginid\": \"1\", \"riskcode\": \"1\"},\n  {\"pluginid\": \"2\",\n   \"instances\": [{}],\n   \"riskcode\": \"9\"}\n]}]}"
		_, err := ZAP(strings.NewReader(in), "zap.json")
		var pe *Error
		if !errors.As(err, &pe) || pe.Line != 3 || pe.Column != 3 {
			t.Errorf("error = %v, want line 3 column 3 (the second alert's brace)", err)
		}
	})
	t.Run("syntax error position", func(t *testing.T) {
		_, err := ZAP(strings.NewReader("{\n  \"site\": [\n    {\"alerts\": [ {\"pluginid\": \"1\",, } ]}\n  ]\n}"), "zap.json")
		var pe *Error
		if !errors.As(err, &pe) || pe.Line != 3 || pe.Column != 35 {
			t.Errorf("error = %v, want line 3 column 35 (the second comma)", err)
		}
	})
}

func TestZAPHostileSizesAreBounded(t *testing.T) {
	prefix := `{"site":[{"alerts":[{"pluginid":"1","riskcode":"1","instances":[{"evidence":"`
	r := &boundedReader{prefix: []byte(prefix), fill: 'a', limit: 4 * maxTokenBytes}
	_, err := ZAP(r, "big.json")
	if errors.Is(err, errReaderExhausted) || r.read > maxTokenBytes+64<<10 {
		t.Fatalf("parser read %d bytes before stopping (err %v)", r.read, err)
	}
	requireParseError(t, err, "big.json", "larger than", true)

	t.Run("long kept fields are clipped", func(t *testing.T) {
		long := strings.Repeat("é", clipDetail)
		in := fmt.Sprintf(`{"site":[{"alerts":[{"pluginid":"1","riskcode":"1","desc":%q,"instances":[{"uri":%q,"evidence":%q}]}]}]}`, long, long, long)
		rep, err := ZAP(strings.NewReader(in), "long.json")
		if err != nil {
			t.Fatal(err)
		}
		checkSecurityInvariants(t, rep)
		f := rep.Findings[0]
		if len(f.Description) > clipDetail || !strings.HasSuffix(f.Description, "…") || len(f.Instances[0].Evidence) > clipShort {
			t.Errorf("fields not clipped: desc %d, evidence %d bytes", len(f.Description), len(f.Instances[0].Evidence))
		}
	})
}

func FuzzZAP(f *testing.F) {
	for _, p := range []string{"traditional.json", "two-sites.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "zap", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"site":[{"alerts":[{"pluginid":"1","riskcode":"1","instances":[{},{}]}]}]}`))
	f.Add([]byte(`{"site":null}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := ZAP(bytes.NewReader(in), "fuzz.json")
		checkFuzzSecurity(t, rep, err)
	})
}

// checkFuzzSecurity is the fuzz invariant: an error is a located *parse.Error and comes
// without a report; a report is internally consistent.
func checkFuzzSecurity(t *testing.T, rep *SecurityReport, err error) {
	t.Helper()
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) || pe.Msg == "" || pe.File != "fuzz.json" {
			t.Fatalf("error %v (%T) is not a *parse.Error", err, err)
		}
		if rep != nil {
			t.Fatal("a report returned with an error")
		}
		return
	}
	checkSecurityInvariants(t, rep)
	if _, err := json.Marshal(rep); err != nil {
		t.Fatalf("report does not marshal: %v", err)
	}
}

// zapBenchInput builds a report with n alerts of 10 instances each.
func zapBenchInput(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"@programName":"ZAP","@version":"2.16.1","site":[{"@name":"https://shop.example.test","alerts":[`)
	for a := range n {
		if a > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"pluginid":"%d","alertRef":"%d","alert":"Alert %d","name":"Alert %d","riskcode":"%d","confidence":"2","desc":"<p>Description of alert %d, long enough to look real.</p>","instances":[`, 10000+a, 10000+a, a, a, a%4, a)
		for i := range 10 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"%d","uri":"https://shop.example.test/p/%d?x=%d","method":"GET","param":"x","attack":"","evidence":"<script>","otherinfo":""}`, a*10+i, a, i)
		}
		b.WriteString(`],"count":"10","solution":"<p>Fix it.</p>","reference":"","cweid":"79","wascid":"8","sourceid":"3"}`)
	}
	b.WriteString("]}]}")
	return b.Bytes()
}

func BenchmarkZAP(b *testing.B) {
	in := zapBenchInput(1000)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ZAP(bytes.NewReader(in), "bench.json"); err != nil {
			b.Fatal(err)
		}
	}
}
