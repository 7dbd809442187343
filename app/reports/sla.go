package reports

import (
	"fmt"
	"strings"

	"scanboard/app/reports/stats"
)

// parseRules reads a project's SLA rules, one expression per line; blank lines and lines
// starting with # are skipped.
func parseRules(text string) ([]stats.Rule, error) {
	var rules []stats.Rule
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r, err := stats.ParseRule(line)
		if err != nil {
			return nil, fmt.Errorf("SLA rule on line %d: %w", i+1, err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func checkRules(text string) error {
	_, err := parseRules(text)
	return err
}

// slaVerdict evaluates rules on a report: "" without rules, else "pass" or "fail", and one
// line per rule saying why.
func slaVerdict(rep *stats.Report, rules []stats.Rule) (string, string) {
	if len(rules) == 0 {
		return "", ""
	}
	verdict := "pass"
	var b strings.Builder
	for _, v := range stats.Check(rep, rules) {
		word := "PASS"
		if !v.Pass {
			word, verdict = "FAIL", "fail"
		}
		fmt.Fprintf(&b, "%s %s\n", word, v.Msg)
	}
	return verdict, b.String()
}
