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

func parseJUnitFile(t *testing.T, path string) *JUnitReport {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	rep, err := JUnit(f, filepath.Base(path))
	if err != nil {
		t.Fatalf("JUnit(%s): %v", path, err)
	}
	checkJUnitInvariants(t, rep)
	return rep
}

// checkJUnitInvariants checks that the totals agree with the cases they were computed from.
func checkJUnitInvariants(t testing.TB, rep *JUnitReport) {
	t.Helper()
	var all JUnitTotals
	for _, s := range rep.Suites {
		var st JUnitTotals
		for i := range s.Cases {
			c := &s.Cases[i]
			if c.Status.rank() == 0 && c.Status != CasePassed {
				t.Fatalf("case %q has status %q", c.Name, c.Status)
			}
			if c.Suite != s.Path {
				t.Fatalf("case %q has suite %q inside suite %q", c.Name, c.Suite, s.Path)
			}
			if len(c.Detail) > clipDetail || len(c.Message) > clipShort || len(c.Name) > clipName {
				t.Fatalf("case %q keeps more text than the limits", c.Name)
			}
			st.add(c)
			all.add(c)
		}
		if st != s.Totals {
			t.Fatalf("suite %q totals %+v, recomputed %+v", s.Path, s.Totals, st)
		}
	}
	if all.Tests != rep.Totals.Tests || all.Passed+all.Failed+all.Errored+all.Skipped != rep.Totals.Tests ||
		all.Failed != rep.Totals.Failed || all.Errored != rep.Totals.Errored || all.Skipped != rep.Totals.Skipped {
		t.Fatalf("report totals %+v, recomputed %+v", rep.Totals, all)
	}
}

func TestJUnitGolden(t *testing.T) {
	for _, path := range testdataFiles(t, "junit", "*.xml") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			rep := parseJUnitFile(t, path)
			checkGoldenJSON(t, strings.TrimSuffix(path, ".xml")+".golden.json", rep)
		})
	}
}

func TestJUnitSharedExamples(t *testing.T) {
	for _, path := range sharedExamples(t, "junit-*") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			if rep := parseJUnitFile(t, path); rep.Totals.Tests == 0 {
				t.Error("no test cases read")
			}
		})
	}
}

func TestJUnitOutcomes(t *testing.T) {
	find := func(t *testing.T, rep *JUnitReport, name string) JUnitCase {
		t.Helper()
		for _, s := range rep.Suites {
			for _, c := range s.Cases {
				if c.Name == name {
					return c
				}
			}
		}
		t.Fatalf("case %q not found", name)
		return JUnitCase{}
	}
	t.Run("surefire counts recomputed from cases", func(t *testing.T) {
		rep := parseJUnitFile(t, "testdata/junit/surefire.xml")
		want := JUnitTotals{Tests: 4, Passed: 1, Failed: 1, Errored: 1, Skipped: 1, DurationMS: 2481}
		if got := rep.Totals; got.Tests != want.Tests || got.Passed != want.Passed || got.Failed != want.Failed ||
			got.Errored != want.Errored || got.Skipped != want.Skipped || int(got.DurationMS+0.5) != 2481 {
			t.Errorf("totals = %+v, want %+v", got, want)
		}
		c := find(t, rep, "removeItem")
		if c.Status != CaseFailed || c.Message != "expected: <200> but was: <500>" || c.Type != "org.opentest4j.AssertionFailedError" ||
			!strings.Contains(c.Detail, "CartApiTest.java:42") || c.Suite != "com.example.shop.CartApiTest" {
			t.Errorf("removeItem = %+v", c)
		}
		if c := find(t, rep, "legacyCoupon"); c.Status != CaseSkipped || c.Message != "disabled until SHOP-123" {
			t.Errorf("legacyCoupon = %+v", c)
		}
	})
	t.Run("worst result wins, flaky reruns recorded", func(t *testing.T) {
		rep := parseJUnitFile(t, "testdata/junit/gradle-flaky.xml")
		if c := find(t, rep, "voids & cancels"); c.Status != CaseErrored || c.Message != "setup failed" || c.Detail != "boom" {
			t.Errorf("voids & cancels = %+v, want errored over skipped", c)
		}
		if c := find(t, rep, "refund"); c.Status != CasePassed || !c.Flaky || c.Reruns != 1 {
			t.Errorf("refund = %+v, want passed and flaky", c)
		}
		if c := find(t, rep, "charge"); c.Status != CaseFailed || c.Flaky || c.Reruns != 1 || !strings.Contains(c.Detail, "PaymentTest.java:20") {
			t.Errorf("charge = %+v, want failed after a rerun", c)
		}
		if rep.Totals.Flaky != 1 {
			t.Errorf("flaky total = %d, want 1", rep.Totals.Flaky)
		}
		if got := rep.Suites[0].DurationMS; got != 1234500 {
			t.Errorf("suite time \"1,234.5\" s = %v ms, want 1234500", got)
		}
	})
	t.Run("nested suites, decimal comma, results only directly in the case", func(t *testing.T) {
		rep := parseJUnitFile(t, "testdata/junit/jest-nested.xml")
		c := find(t, rep, "cart › add item › rejects negative quantity")
		if c.Suite != "cart / add item" || c.DurationMS != 105 || c.Line != 31 || c.Status != CaseFailed {
			t.Errorf("nested case = %+v", c)
		}
		if c.Detail == "" || strings.Contains(c.Detail, "not a real one") {
			t.Errorf("detail = %q, want the failure text only", c.Detail)
		}
		if c := find(t, rep, "cart › add item › adds one"); c.File != "" || c.Status != CasePassed {
			t.Errorf("adds one = %+v (the inner suite has no file attribute)", c)
		}
		if c := find(t, rep, "cart › empties — 空购物车"); c.File != "src/cart.test.ts" {
			t.Errorf("file not inherited from suite: %+v", c)
		}
		if len(rep.Suites) != 3 || rep.Name != "jest tests" || rep.Totals.Tests != 5 {
			t.Errorf("suites = %d, name %q, tests %d", len(rep.Suites), rep.Name, rep.Totals.Tests)
		}
	})
}

func TestJUnitByteOrderMark(t *testing.T) {
	rep, err := JUnit(strings.NewReader("\ufeff<?xml version=\"1.0\"?>\n<testsuite name=\"a\"><testcase name=\"x\"/></testsuite>"), "bom.xml")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Tests != 1 {
		t.Errorf("tests = %d, want 1", rep.Totals.Tests)
	}
}

func TestJUnitKey(t *testing.T) {
	base := JUnitCase{Suite: "s", Classname: "c", Name: "n"}
	other := base
	other.DurationMS, other.Status, other.Message = 12, CaseFailed, "boom"
	if base.Key() != other.Key() {
		t.Error("key depends on duration, status or message")
	}
	for _, c := range []JUnitCase{
		{Suite: "s2", Classname: "c", Name: "n"},
		{Suite: "s", Classname: "c2", Name: "n"},
		{Suite: "s", Classname: "c", Name: "n2"},
		{Suite: "sc", Classname: "", Name: "n"},
	} {
		if c.Key() == base.Key() {
			t.Errorf("%+v has the same key as %+v", c, base)
		}
	}
	if len(base.Key()) != 32 {
		t.Errorf("key %q is not 32 hex characters", base.Key())
	}
}

func TestJUnitErrors(t *testing.T) {
	surefire, err := os.ReadFile("testdata/junit/surefire.xml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in, want string
		line           bool
	}{
		{"empty file", "", "no XML element", false},
		{"not xml", "time,elapsed\n1,2\n", "not a JUnit report", true},
		{"wrong root", `<?xml version="1.0"?><project><target/></project>`, "root element is <project>", true},
		{"truncated mid-file", string(surefire[:len(surefire)/2]), "truncated", true},
		{"truncated after a case", `<testsuite name="a"><testcase name="x"/>`, "truncated", true},
		{"billion laughs", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><testsuite name="&lol2;"/>`, "DOCTYPE", true},
		{"external entity", `<?xml version="1.0"?><!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><testsuite name="&xxe;"/>`, "DOCTYPE", true},
		{"undeclared entity", `<testsuite name="&xxe;"/>`, "entity", true},
		{"deep nesting", `<testsuites>` + strings.Repeat("<x>", maxNesting+5), "nested more than", true},
		{"bad time", `<testsuite name="a"><testcase name="x" time="fast"/></testsuite>`, `time "fast"`, true},
		{"second root", `<testsuite name="a"/><testsuite name="b"/>`, "after the root element", true},
		{"text outside root", `<testsuite name="a"/>junk`, "outside the root", true},
		{"latin-1 declaration", `<?xml version="1.0" encoding="ISO-8859-1"?><testsuite name="a"/>`, "not supported", true},
		{"mismatched end tag", `<testsuite name="a"><testcase name="x"></testsuite>`, "invalid XML", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := JUnit(strings.NewReader(tt.in), "in.xml")
			if err == nil {
				t.Fatalf("no error, got %+v", rep)
			}
			requireParseError(t, err, "in.xml", tt.want, tt.line)
		})
	}
}

func TestJUnitHostileSizesAreBounded(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
		fill   byte
	}{
		{"endless attribute", `<testsuite name="`, 'a'},
		{"endless text", `<testsuite name="a"><system-out>`, 'a'},
		{"endless element name", `<testsuite`, 'a'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &boundedReader{prefix: []byte(tt.prefix), fill: tt.fill, limit: 4 * maxTokenBytes}
			_, err := JUnit(r, "big.xml")
			if errors.Is(err, errReaderExhausted) || r.read > maxTokenBytes+64<<10 {
				t.Fatalf("parser read %d bytes before stopping (err %v)", r.read, err)
			}
			requireParseError(t, err, "big.xml", "larger than", true)
		})
	}
	t.Run("many tokens within limits parse", func(t *testing.T) {
		var b bytes.Buffer
		b.WriteString(`<testsuite name="big">`)
		for i := range 20000 {
			fmt.Fprintf(&b, `<testcase classname="C" name="t%d" time="0.001"><system-out>%s</system-out></testcase>`, i, strings.Repeat("x", 100))
		}
		b.WriteString(`</testsuite>`)
		rep, err := JUnit(&b, "many.xml")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Totals.Tests != 20000 || rep.Totals.Passed != 20000 {
			t.Errorf("totals = %+v", rep.Totals)
		}
	})
}

func FuzzJUnit(f *testing.F) {
	for _, p := range []string{"surefire.xml", "pytest.xml", "jest-nested.xml", "gradle-flaky.xml", "empty-suites.xml"} {
		b, err := os.ReadFile(filepath.Join("testdata", "junit", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<testsuites><testsuite name="a"><testsuite name="b"><testcase name="x"><failure/><error/></testcase></testsuite></testsuite></testsuites>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><testsuite/>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := JUnit(bytes.NewReader(in), "fuzz.xml")
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Msg == "" || pe.File != "fuzz.xml" {
				t.Fatalf("error %v (%T) is not a located *parse.Error", err, err)
			}
			if rep != nil {
				t.Fatal("a report returned with an error")
			}
			return
		}
		checkJUnitInvariants(t, rep)
	})
}

// junitBenchInput builds a Surefire-like file of n cases, one in ten failing with a trace.
func junitBenchInput(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><testsuites name="bench">`)
	for s := range n / 100 {
		fmt.Fprintf(&b, `<testsuite name="com.example.Suite%d" tests="100" time="1.5">`, s)
		for i := range 100 {
			fmt.Fprintf(&b, `<testcase name="test%d" classname="com.example.Suite%d" time="0.015">`, i, s)
			if i%10 == 0 {
				b.WriteString(`<failure message="expected 200" type="AssertionError"><![CDATA[AssertionError: expected 200
	at com.example.Suite.test(Suite.java:42)
	at java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)]]></failure>`)
			}
			b.WriteString("</testcase>\n")
		}
		b.WriteString("</testsuite>\n")
	}
	b.WriteString("</testsuites>\n")
	return b.Bytes()
}

func BenchmarkJUnit(b *testing.B) {
	in := junitBenchInput(10000)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := JUnit(bytes.NewReader(in), "bench.xml"); err != nil {
			b.Fatal(err)
		}
	}
}
