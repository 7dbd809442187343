package parse

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSARIFGolden(t *testing.T) {
	for _, path := range testdataFiles(t, "sarif", "*.sarif.json") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			rep := parseSecurityFile(t, path, sarifFile)
			checkGoldenJSON(t, strings.TrimSuffix(path, ".sarif.json")+".golden.json", rep)
		})
	}
}

func TestSARIFSharedExample(t *testing.T) {
	for _, path := range sharedExamples(t, "*.sarif.json") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			rep := parseSecurityFile(t, path, sarifFile)
			if len(rep.Findings) != 1 {
				t.Fatalf("findings = %+v", rep.Findings)
			}
			f := rep.Findings[0]
			// security-severity 5.0 decides over level "warning"; CWE from the tag.
			if f.Risk != RiskMedium || f.CWE != 693 || f.RuleName != "Content Security Policy (CSP) Header Not Set" ||
				f.Instances[0].URI != "https://shop.example.test/" {
				t.Errorf("finding = %+v", f)
			}
		})
	}
}

func TestSARIFMapping(t *testing.T) {
	rep := parseSecurityFile(t, "testdata/sarif/multi-run.sarif.json", sarifFile)
	if len(rep.Tools) != 2 || rep.Tools[0] != (Tool{"CodeQL", "2.18.0"}) || rep.Tools[1] != (Tool{"ZAP", "2.16.1"}) {
		t.Errorf("tools = %+v", rep.Tools)
	}
	byRule := make(map[string]Finding)
	for _, f := range rep.Findings {
		byRule[f.Tool+" "+f.RuleID] = f
	}
	tests := []struct {
		key       string
		risk      Risk
		conf      Confidence
		cwe       int
		instances int
		check     func(Instance) bool
	}{
		// ruleIndex into the driver; security-severity 8.8 → high; precision high.
		{"CodeQL js/sql-injection", RiskHigh, ConfidenceHigh, 89, 1, func(in Instance) bool {
			return in.File == "src/db/users.js" && in.Line == 42 && in.Column == 17
		}},
		// rule.toolComponent.index into the extensions, message from messageStrings.
		{"CodeQL js/weak-crypto", RiskHigh, ConfidenceUnknown, 327, 1, func(in Instance) bool {
			return in.Message == "MD5 is a weak hash, used in src/auth/token.js." && in.File == "/work/src/auth/token.js"
		}},
		// Rule found by id; default level note → low; suppressed; the "pass" result dropped.
		{"CodeQL js/unused-local-variable", RiskLow, ConfidenceHigh, 0, 1, func(in Instance) bool { return in.Suppressed }},
		// No level → warning → medium; web location; CWE from a taxonomy relationship.
		{"ZAP 10038", RiskMedium, ConfidenceHigh, 693, 2, func(in Instance) bool { return in.Method == "GET" && in.URI != "" }},
		// Unknown rule, level none → info.
		{"ZAP 90001", RiskInfo, ConfidenceUnknown, 0, 1, func(in Instance) bool { return in.URI == "https://shop.example.test/" }},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			f, ok := byRule[tt.key]
			if !ok {
				t.Fatalf("no finding %q among %v", tt.key, rep.Findings)
			}
			if f.Risk != tt.risk || f.Confidence != tt.conf || f.CWE != tt.cwe || len(f.Instances) != tt.instances {
				t.Errorf("finding = risk %s confidence %q cwe %d instances %d, want %s %q %d %d",
					f.Risk, f.Confidence, f.CWE, len(f.Instances), tt.risk, tt.conf, tt.cwe, tt.instances)
			}
			if !tt.check(f.Instances[0]) {
				t.Errorf("instance = %+v", f.Instances[0])
			}
		})
	}
	if rep.Totals.Suppressed != 1 || rep.Totals.High != 2 {
		t.Errorf("totals = %+v", rep.Totals)
	}
}

func TestSARIFErrors(t *testing.T) {
	example, err := os.ReadFile("testdata/sarif/multi-run.sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in, want string
		line           bool
	}{
		{"empty file", "", "truncated", false},
		{"truncated", string(example[:len(example)/2]), "truncated", true},
		{"wrong version", `{"version":"2.0.0","runs":[]}`, `version "2.0.0"`, true},
		{"no version", `{"runs":[]}`, "missing", false},
		{"no runs", `{"version":"2.1.0"}`, "missing", false},
		{"run without driver name", `{"version":"2.1.0","runs":[{"tool":{"driver":{}},"results":[]}]}`, "tool.driver.name", true},
		{"results not an array", `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":{}}]}`, "expected a JSON array", true},
		{"startLine a string", `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"locations":[{"physicalLocation":{"region":{"startLine":"7"}}}]}]}]}`, "startLine", true},
		{"syntax error", "{\"version\":\"2.1.0\",\n\"runs\":[}", "invalid JSON", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := SARIFReport(strings.NewReader(tt.in), "scan.sarif")
			if err == nil {
				t.Fatalf("no error, got %+v", rep)
			}
			requireParseError(t, err, "scan.sarif", tt.want, tt.line)
		})
	}
}

func TestSARIFHostileSizesAreBounded(t *testing.T) {
	tests := []struct{ name, prefix string }{
		{"endless message", `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"`},
		{"endless skipped member", `{"version":"2.1.0","runs":[{"artifacts":[{"contents":{"text":"`},
		{"endless key", `{"version":"2.1.0","runs":[{"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &boundedReader{prefix: []byte(tt.prefix), fill: 'a', limit: 4 * maxTokenBytes}
			_, err := SARIFReport(r, "big.sarif")
			if errors.Is(err, errReaderExhausted) || r.read > maxTokenBytes+64<<10 {
				t.Fatalf("parser read %d bytes before stopping (err %v)", r.read, err)
			}
			requireParseError(t, err, "big.sarif", "larger than", true)
		})
	}
}

func FuzzSARIF(f *testing.F) {
	for _, p := range []string{"min.sarif.json", "multi-run.sarif.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "sarif", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x","rules":[{"id":"a"}]},"extensions":[{"rules":[]}]},"results":[{"ruleIndex":5,"rule":{"index":-1,"toolComponent":{"index":9}}},{"ruleId":"a/b"}]}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := SARIFReport(bytes.NewReader(in), "fuzz.json")
		checkFuzzSecurity(t, rep, err)
	})
}

// sarifBenchInput builds a CodeQL-like log with n results over 50 rules.
func sarifBenchInput(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"CodeQL","semanticVersion":"2.18.0","rules":[`)
	for r := range 50 {
		if r > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"js/rule-%d","name":"js/rule-%d","shortDescription":{"text":"Rule %d"},"fullDescription":{"text":"A longer description of rule %d."},"properties":{"tags":["security","external/cwe/cwe-%d"],"precision":"high","security-severity":"%d.5"}}`, r, r, r, r, 20+r, r%10)
	}
	b.WriteString(`]}},"results":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"ruleId":"js/rule-%d","ruleIndex":%d,"message":{"text":"Problem number %d here."},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/file%d.js","uriBaseId":"%%SRCROOT%%"},"region":{"startLine":%d,"startColumn":5}}}],"partialFingerprints":{"primaryLocationLineHash":"%016x:1"}}`, i%50, i%50, i, i%300, i%1000+1, i)
	}
	b.WriteString("]}]}")
	return b.Bytes()
}

func BenchmarkSARIF(b *testing.B) {
	in := sarifBenchInput(10000)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SARIFReport(bytes.NewReader(in), "bench.sarif"); err != nil {
			b.Fatal(err)
		}
	}
}
