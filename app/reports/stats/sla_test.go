package stats

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRule(t *testing.T) {
	cases := []struct {
		in   string
		want Rule
	}{
		{"p95<500ms", Rule{Metric: "p", P: 95, Op: "<", Value: 500}},
		{"p99<=1s", Rule{Metric: "p", P: 99, Op: "<=", Value: 1000}},
		{"p(99.9) < 2.5 s", Rule{Metric: "p", P: 99.9, Op: "<", Value: 2500}},
		{"error_rate<1%", Rule{Metric: "error_rate", Op: "<", Value: 0.01}},
		{"error_rate<=0.05", Rule{Metric: "error_rate", Op: "<=", Value: 0.05}},
		{"mean<200ms", Rule{Metric: "mean", Op: "<", Value: 200}},
		{"avg<200", Rule{Metric: "mean", Op: "<", Value: 200}},
		{"median<=300us", Rule{Metric: "p", P: 50, Op: "<=", Value: 0.3}},
		{"throughput>=100/s", Rule{Metric: "throughput", Op: ">=", Value: 100}},
		{"rps>=120/m", Rule{Metric: "throughput", Op: ">=", Value: 2}},
		{"errors==0", Rule{Metric: "errors", Op: "==", Value: 0}},
		{`"GET /api"::p95<300ms`, Rule{Label: "GET /api", HasLabel: true, Metric: "p", P: 95, Op: "<", Value: 300}},
		{`"say ""hi"", ok"::max<1s`, Rule{Label: `say "hi", ok`, HasLabel: true, Metric: "max", Op: "<", Value: 1000}},
		{`::checkout::p90<1m`, Rule{Label: "::checkout", HasLabel: true, Metric: "p", P: 90, Op: "<", Value: 60000}},
		{`TX checkout, 下单::count>10`, Rule{Label: "TX checkout, 下单", HasLabel: true, Metric: "count", Op: ">", Value: 10}},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseRule(c.in)
			if err != nil {
				t.Fatal(err)
			}
			c.want.Text = c.in
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestParseRuleErrors(t *testing.T) {
	cases := []struct {
		in  string
		pos int
		msg string
	}{
		{"", 1, "expected a metric"},
		{"p95", 4, "expected a comparison"},
		{"p95<", 5, "expected a number"},
		{"p95<<500", 5, "expected a number"},
		{"p0<5", 2, "percentile"},
		{"p101<5", 2, "percentile"},
		{"latency<5", 1, `unknown metric "latency"`},
		{"p95<5 parsecs", 7, "unknown time unit"},
		{"error_rate<5", 12, "fraction"},
		{"throughput>5ms", 13, "/s or /m"},
		{"count>5%", 8, "takes no unit"},
		{`"open::p95<5`, 1, "not closed"},
		{`"x" p95<5`, 5, `expected "::"`},
		{`"下单"::p9x<5`, 9, "expected a comparison"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			_, err := ParseRule(c.in)
			var re *RuleError
			if !errors.As(err, &re) || re.Pos != c.pos || !strings.Contains(re.Msg, c.msg) {
				t.Errorf("err = %v; want position %d and %q", err, c.pos, c.msg)
			}
		})
	}
}

func TestRuleEval(t *testing.T) {
	fig := Figures{Count: 200, Errors: 3, MinMS: 1, MaxMS: 900, MeanMS: 120, ThroughputPerS: 50,
		Percentile: func(p float64) (float64, bool) {
			if p == 99.9 {
				return 0, false
			}
			return p * 4, true
		}}
	cases := []struct {
		rule        string
		pass, known bool
	}{
		{"p95<400ms", true, true}, // 380
		{"p95<380ms", false, true},
		{"p95<=380ms", true, true},
		{"error_rate<1%", false, true}, // 1.5%
		{"error_rate<2%", true, true},
		{"mean<200ms", true, true},
		{"throughput>=100/s", false, true},
		{"max<1s", true, true},
		{"min>=1", true, true},
		{"count==200", true, true},
		{"p99.9<1s", false, false},
	}
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			r, err := ParseRule(c.rule)
			if err != nil {
				t.Fatal(err)
			}
			v := r.Eval(fig)
			if v.Pass != c.pass || v.Known != c.known || !strings.HasPrefix(v.Msg, c.rule) {
				t.Errorf("%+v", v)
			}
		})
	}
	empty, _ := ParseRule("p95<1s")
	if v := empty.Eval(Figures{}); v.Pass || v.Known {
		t.Errorf("a rule on no samples must not pass: %+v", v)
	}
}

// FuzzParseRule checks that any input either parses into a rule that evaluates, or fails
// with a position inside (or just past) the expression.
func FuzzParseRule(f *testing.F) {
	for _, s := range []string{"p95<500ms", `"GET /a"::error_rate<1%`, "throughput>=100/s", "p(99.9)<=2s", `"a""b"::max<1`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r, err := ParseRule(in)
		if err != nil {
			var re *RuleError
			if !errors.As(err, &re) || re.Pos < 1 || re.Pos > len([]rune(in))+1 {
				t.Fatalf("bad error %v for %q", err, in)
			}
			return
		}
		_ = r.Eval(Figures{Count: 1, Percentile: func(float64) (float64, bool) { return 1, true }})
	})
}
