package parse

import (
	"errors"
	"strings"
	"testing"
)

func readXMLString(t *testing.T, in string, opt XMLOptions) ([]Sample, error) {
	t.Helper()
	return collect(t, func(s SampleSink) error { return ReadJMeterXML(strings.NewReader(in), opt, s) })
}

func TestJMeterXMLNesting(t *testing.T) {
	in := `<?xml version="1.0"?><testResults version="1.2">
<sample t="10" ts="1" s="false" lb="TC" rc="" rm="Number of samples in transaction : 1, number of failing samples : 1">
 <httpSample t="9" ts="1" s="false" lb="GET /a" rc="200" rm="OK">
  <assertionResult><name>A</name><failure>true</failure><failureMessage>body lacks &quot;x&quot;</failureMessage></assertionResult>
  <httpSample t="4" ts="1" s="true" lb="GET /a-0" rc="302" rm="Found"/>
 </httpSample>
</sample>
<httpSample t="3" ts="2" s="true" lb="GET /b" rc="200" rm="OK"><responseData class="java.lang.String">&lt;sample t="1"/&gt;</responseData></httpSample>
</testResults>`
	got, err := readXMLString(t, in, XMLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type brief struct {
		label   string
		sub, ok bool
		tc      bool
		msg     string
	}
	want := []brief{{"GET /a-0", true, true, false, ""}, {"GET /a", true, false, false, `body lacks "x"`},
		{"TC", false, false, true, "Number of samples in transaction : 1, number of failing samples : 1"}, {"GET /b", false, true, false, ""}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i, w := range want {
		g := got[i]
		if (brief{g.Label, g.Sub, g.OK, g.Transaction, g.Message}) != w {
			t.Errorf("sample %d: %+v, want %+v", i, g, w)
		}
	}
}

func TestJMeterXMLRefusesAndTruncation(t *testing.T) {
	deep := "<testResults>" + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + "</testResults>"
	huge := `<testResults><httpSample t="1" lb="` + strings.Repeat("x", 3<<20) + `"/></testResults>`
	cases := []struct {
		name string
		in   string
		msg  string // "" means no error
	}{
		{"doctype with entities", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><testResults><sample t="1" lb="&lol2;"/></testResults>`, "DOCTYPE"},
		{"undefined entity", `<testResults><sample t="1" lb="&xxe;"/></testResults>`, "entity"},
		{"deep nesting", deep, "nested deeper than 64"},
		{"huge token", huge, "larger than"},
		{"wrong root", `<html/>`, "expected <testResults>"},
		{"missing elapsed", `<testResults><sample lb="x"/></testResults>`, "no t (elapsed)"},
		{"bad number", `<testResults><sample t="fast" lb="x"/></testResults>`, `t="fast"`},
		{"truncated inside a sample", `<testResults><sample t="1" lb="x">` + "\n<assertionResult>", "ends inside"},
		{"crashed run without closing root", `<testResults><sample t="1" lb="x"/>` + "\n", ""},
		{"empty", ``, "no <testResults>"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := readXMLString(t, c.in, XMLOptions{File: "r.xml"})
			if c.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var pe *Error
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), c.msg) || pe.File != "r.xml" {
				t.Fatalf("err = %v, want *Error containing %q", err, c.msg)
			}
		})
	}
}

func FuzzJMeterXML(f *testing.F) {
	for _, s := range []string{
		`<testResults><httpSample t="1" ts="2" s="true" lb="x" rc="200"/></testResults>`,
		`<testResults><sample t="1" s="false" lb="TC" rm="Number of samples in transaction : 0"><httpSample t="1" lb="c"/></sample>`,
		`<?xml version="1.0"?><!DOCTYPE x><testResults/>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := readXMLString(t, in, XMLOptions{MaxTokenBytes: 4096, MaxDepth: 16})
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *Error", err)
			}
			return
		}
		for _, s := range got {
			if s.ElapsedMS < 0 {
				t.Fatalf("negative elapsed in %+v", s)
			}
		}
	})
}
