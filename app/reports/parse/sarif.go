package parse

import (
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// SARIFReport reads a SARIF 2.1.0 log into the normalised finding model. name is used in
// errors. (The name SARIF is taken by the Format constant.)
//
// Every run is read; rules come from tool.driver.rules and tool.extensions[].rules and are
// found by result.rule / ruleIndex / ruleId. Risk comes from a security-severity score when
// the result or its rule has one (the GitHub code-scanning convention), else from the level.
// Results of kind "pass" or "notApplicable", and results whose baselineState is "absent"
// (gone since the tool's own baseline), are not findings and are left out. The
// fingerprint uses the result's fingerprints or partialFingerprints when present, else the
// rule, the location and the message; line numbers are left out so that an edit above a
// finding does not turn it into "fixed" plus "new".
func SARIFReport(r io.Reader, name string) (*SecurityReport, error) {
	w := newJSONWalker(r, name)
	rep := &SecurityReport{Format: SARIF}
	var raws []rawFinding
	var version string
	sawRuns := false
	err := w.object("SARIF log", func(key string) error {
		switch key {
		case "version":
			if err := w.text(&version, clipName); err != nil {
				return err
			}
			if version != "2.1.0" {
				return w.errorHere("SARIF version %q is not supported (only 2.1.0)", version)
			}
			return nil
		case "runs":
			sawRuns = true
			return w.array("runs", func() error {
				var err error
				raws, err = sarifRun(w, rep, raws)
				return err
			})
		}
		return w.skip()
	})
	if err != nil {
		return nil, err
	}
	if err := w.end(); err != nil {
		return nil, err
	}
	if version == "" || !sawRuns {
		return nil, &Error{File: name, Msg: `not a SARIF log: "version" or "runs" is missing`}
	}
	finishSecurity(rep, raws)
	return rep, nil
}

// sarifComponent is tool.driver or one of tool.extensions.
type sarifComponent struct {
	name, version string
	rules         []sarifRule
	byID          map[string]int
}

type sarifText struct {
	Text jsonText `json:"text"`
}

type sarifRule struct {
	ID                   jsonText             `json:"id"`
	Name                 jsonText             `json:"name"`
	ShortDescription     sarifText            `json:"shortDescription"`
	FullDescription      sarifText            `json:"fullDescription"`
	Help                 sarifText            `json:"help"`
	HelpURI              jsonText             `json:"helpUri"`
	MessageStrings       map[string]sarifText `json:"messageStrings"`
	DefaultConfiguration struct {
		Level jsonText `json:"level"`
	} `json:"defaultConfiguration"`
	Properties    sarifProperties `json:"properties"`
	Relationships []struct {
		Target struct {
			ID            jsonText `json:"id"`
			ToolComponent struct {
				Name jsonText `json:"name"`
			} `json:"toolComponent"`
		} `json:"target"`
	} `json:"relationships"`
}

type sarifProperties struct {
	SecuritySeverity jsonText   `json:"security-severity"`
	Precision        jsonText   `json:"precision"`
	Confidence       jsonText   `json:"confidence"`
	CWE              jsonText   `json:"cwe"`
	Tags             []jsonText `json:"tags"`
}

type sarifResult struct {
	RuleID    jsonText `json:"ruleId"`
	RuleIndex *int     `json:"ruleIndex"`
	Rule      *struct {
		ID            jsonText `json:"id"`
		Index         *int     `json:"index"`
		ToolComponent *struct {
			Index *int `json:"index"`
		} `json:"toolComponent"`
	} `json:"rule"`
	Kind          jsonText `json:"kind"`
	BaselineState jsonText `json:"baselineState"`
	Level         jsonText `json:"level"`
	Message       struct {
		Text      jsonText   `json:"text"`
		ID        jsonText   `json:"id"`
		Arguments []jsonText `json:"arguments"`
	} `json:"message"`
	Locations []struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI jsonText `json:"uri"`
			} `json:"artifactLocation"`
			Region struct {
				StartLine   int `json:"startLine"`
				StartColumn int `json:"startColumn"`
			} `json:"region"`
		} `json:"physicalLocation"`
		LogicalLocations []struct {
			FullyQualifiedName jsonText `json:"fullyQualifiedName"`
			Name               jsonText `json:"name"`
		} `json:"logicalLocations"`
	} `json:"locations"`
	WebRequest struct {
		Method jsonText `json:"method"`
		Target jsonText `json:"target"`
	} `json:"webRequest"`
	Fingerprints        map[string]jsonText `json:"fingerprints"`
	PartialFingerprints map[string]jsonText `json:"partialFingerprints"`
	Suppressions        []struct {
		Status jsonText `json:"status"`
	} `json:"suppressions"`
	Properties sarifProperties `json:"properties"`
}

// sarifRun reads one run. Results may come before the tool in the object, so they are kept
// and resolved against the rules once the run is complete.
func sarifRun(w *jsonWalker, rep *SecurityReport, raws []rawFinding) ([]rawFinding, error) {
	var comps []*sarifComponent // [0] driver, [1:] extensions
	driver := &sarifComponent{}
	var results []sarifResult
	err := w.object("run", func(key string) error {
		switch key {
		case "tool":
			return w.object("tool", func(key string) error {
				switch key {
				case "driver":
					return sarifReadComponent(w, driver)
				case "extensions":
					return w.array("extensions", func() error {
						c := &sarifComponent{}
						comps = append(comps, c)
						return sarifReadComponent(w, c)
					})
				}
				return w.skip()
			})
		case "results":
			return w.array("results", func() error {
				if len(raws)+len(results) >= maxItems {
					return w.errorHere("more than %d finding instances", maxItems)
				}
				var res sarifResult
				if err := w.value(&res); err != nil {
					return err
				}
				results = append(results, res)
				return nil
			})
		}
		return w.skip()
	})
	if err != nil {
		return raws, err
	}
	if driver.name == "" {
		return raws, w.errorHere("SARIF run has no tool.driver.name")
	}
	comps = append([]*sarifComponent{driver}, comps...)
	rep.Tools = append(rep.Tools, Tool{Name: driver.name, Version: driver.version})
	for i := range results {
		if raw, ok := sarifFinding(&results[i], comps); ok {
			raws = append(raws, raw)
		}
	}
	return raws, nil
}

func sarifReadComponent(w *jsonWalker, c *sarifComponent) error {
	return w.object("tool component", func(key string) error {
		switch key {
		case "name":
			return w.text(&c.name, clipName)
		case "version", "semanticVersion":
			if c.version != "" {
				return w.skip()
			}
			return w.text(&c.version, clipName)
		case "rules":
			return w.array("rules", func() error {
				var rule sarifRule
				if err := w.value(&rule); err != nil {
					return err
				}
				c.rules = append(c.rules, rule)
				return nil
			})
		}
		return w.skip()
	})
}

// sarifLookupRule finds a result's rule: by explicit reference (toolComponent index, rule index), else
// by id in the driver and then the extensions. A hierarchical id "CA2000/1" falls back to
// its first segment, as the spec allows.
func sarifLookupRule(res *sarifResult, comps []*sarifComponent) (*sarifRule, string) {
	id := string(res.RuleID)
	comp := 0
	index := res.RuleIndex
	if res.Rule != nil {
		if id == "" {
			id = string(res.Rule.ID)
		}
		if res.Rule.Index != nil {
			index = res.Rule.Index
		}
		if tc := res.Rule.ToolComponent; tc != nil && tc.Index != nil {
			comp = *tc.Index + 1 // toolComponent.index counts extensions
		}
	}
	if index != nil && comp >= 0 && comp < len(comps) && *index >= 0 && *index < len(comps[comp].rules) {
		rule := &comps[comp].rules[*index]
		return rule, firstNonEmpty(id, string(rule.ID))
	}
	for _, try := range []string{id, strings.SplitN(id, "/", 2)[0]} {
		for _, c := range comps {
			if c.byID == nil {
				c.byID = make(map[string]int, len(c.rules))
				for i := len(c.rules) - 1; i >= 0; i-- {
					c.byID[string(c.rules[i].ID)] = i
				}
			}
			if i, ok := c.byID[try]; ok && try != "" {
				return &c.rules[i], id
			}
		}
	}
	return nil, id
}

// sarifFinding converts one result; ok is false for results that are not findings.
func sarifFinding(res *sarifResult, comps []*sarifComponent) (rawFinding, bool) {
	kind := string(res.Kind)
	// "absent" marks a result of the baseline run that this run no longer has.
	if kind == "pass" || kind == "notApplicable" || res.BaselineState == "absent" {
		return rawFinding{}, false
	}
	rule, ruleID := sarifLookupRule(res, comps)
	if rule == nil {
		rule = &sarifRule{}
	}
	tool := comps[0].name
	f := Finding{
		Tool:        tool,
		RuleID:      clip(ruleID, clipName),
		RuleName:    clip(firstNonEmpty(string(rule.ShortDescription.Text), string(rule.Name), ruleID), clipName),
		Description: clip(firstNonEmpty(string(rule.FullDescription.Text), string(rule.ShortDescription.Text)), clipDetail),
		Solution:    clip(string(rule.Help.Text), clipDetail),
		Reference:   clip(string(rule.HelpURI), clipName),
		CWE:         sarifCWE(rule),
		Tags:        sarifTags(rule.Properties.Tags),
	}

	level := firstNonEmpty(string(res.Level), string(rule.DefaultConfiguration.Level))
	if kind != "" && kind != "fail" {
		level = "none" // informational, review, open: the spec says their level is none
	}
	f.Risk = sarifRisk(firstNonEmpty(string(res.Properties.SecuritySeverity), string(rule.Properties.SecuritySeverity)), level)
	f.Confidence = sarifConfidence(firstNonEmpty(
		string(res.Properties.Confidence), string(res.Properties.Precision),
		string(rule.Properties.Confidence), string(rule.Properties.Precision)))

	msg := string(res.Message.Text)
	if msg == "" && res.Message.ID != "" {
		msg = sarifMessageString(rule, res)
	}
	inst := Instance{Message: clip(msg, clipShort), Method: clip(strings.ToUpper(string(res.WebRequest.Method)), clipName)}
	var logical string
	if len(res.Locations) > 0 {
		loc := res.Locations[0]
		uri := string(loc.PhysicalLocation.ArtifactLocation.URI)
		if isWebURI(uri) {
			inst.URI = clip(uri, clipName)
		} else {
			inst.File = clip(strings.TrimPrefix(uri, "file://"), clipName)
		}
		inst.Line = max(loc.PhysicalLocation.Region.StartLine, 0)
		inst.Column = max(loc.PhysicalLocation.Region.StartColumn, 0)
		if len(loc.LogicalLocations) > 0 {
			ll := loc.LogicalLocations[0]
			logical = firstNonEmpty(string(ll.FullyQualifiedName), string(ll.Name))
		}
	}
	if inst.URI == "" && isWebURI(string(res.WebRequest.Target)) {
		inst.URI = clip(string(res.WebRequest.Target), clipName)
	}
	for _, s := range res.Suppressions {
		// A suppression without a status is accepted (SARIF §3.35.3).
		if st := string(s.Status); st == "" || st == "accepted" {
			inst.Suppressed = true
		}
	}

	base := []string{"sarif", strings.ToLower(tool), ruleID}
	switch {
	case len(res.Fingerprints) > 0:
		base = append(base, "fingerprints")
		base = append(base, sortedPairs(res.Fingerprints)...)
	case len(res.PartialFingerprints) > 0:
		base = append(base, "partial")
		base = append(base, sortedPairs(res.PartialFingerprints)...)
	default:
		base = append(base, "location", inst.URI, inst.Method, inst.File, logical, msg)
	}
	return rawFinding{group: f, inst: inst, base: base}, true
}

func sortedPairs(m map[string]jsonText) []string {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		out = append(out, k, string(m[k]))
	}
	return out
}

func isWebURI(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// sarifMessageString fills a rule's message string ({0}, {1} … placeholders) with the
// result's arguments.
func sarifMessageString(rule *sarifRule, res *sarifResult) string {
	tmpl := string(rule.MessageStrings[string(res.Message.ID)].Text)
	if tmpl == "" {
		return string(res.Message.ID)
	}
	args := make([]string, 0, 2*len(res.Message.Arguments))
	for i, a := range res.Message.Arguments {
		args = append(args, "{"+strconv.Itoa(i)+"}", string(a))
	}
	return strings.NewReplacer(args...).Replace(tmpl)
}

// sarifRisk maps a security-severity score (CVSS-like, 0.0–10.0, the GitHub code-scanning
// bands) when there is one, else the SARIF level (absent means "warning").
func sarifRisk(severity, level string) Risk {
	if s, err := strconv.ParseFloat(strings.TrimSpace(severity), 64); err == nil && s >= 0 && s <= 10 {
		switch {
		case s >= 9:
			return RiskCritical
		case s >= 7:
			return RiskHigh
		case s >= 4:
			return RiskMedium
		case s > 0:
			return RiskLow
		}
		return RiskInfo
	}
	switch level {
	case "error":
		return RiskHigh
	case "note":
		return RiskLow
	case "none":
		return RiskInfo
	}
	return RiskMedium
}

// sarifConfidence maps a precision (CodeQL: very-high, high, medium, low) or a confidence
// property written as a word.
func sarifConfidence(s string) Confidence {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "very-high", "high":
		return ConfidenceHigh
	case "medium":
		return ConfidenceMedium
	case "low":
		return ConfidenceLow
	case "confirmed", "user confirmed":
		return ConfidenceConfirmed
	case "false positive", "false-positive":
		return ConfidenceFalsePositive
	}
	return ConfidenceUnknown
}

// sarifCWE finds a CWE id in a rule: properties.cwe, a relationship to the CWE taxonomy, or
// a tag such as "external/cwe/cwe-79" or "CWE-79".
func sarifCWE(rule *sarifRule) int {
	if n := cweNumber(string(rule.Properties.CWE)); n > 0 {
		return n
	}
	for _, rel := range rule.Relationships {
		if strings.EqualFold(string(rel.Target.ToolComponent.Name), "CWE") {
			if n := cweNumber(string(rel.Target.ID)); n > 0 {
				return n
			}
		}
	}
	for _, t := range rule.Properties.Tags {
		s := strings.ToLower(string(t))
		if i := strings.LastIndex(s, "cwe-"); i >= 0 {
			if n := cweNumber(s[i:]); n > 0 {
				return n
			}
		}
	}
	return 0
}

// cweNumber reads "79", "CWE-79" or "cwe-079".
func cweNumber(s string) int {
	s = strings.TrimSpace(s)
	if len(s) > 4 && strings.EqualFold(s[:4], "cwe-") {
		s = s[4:]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// sarifTags keeps at most 32 tags, each clipped.
func sarifTags(tags []jsonText) []string {
	var out []string
	for _, t := range tags {
		if len(out) == 32 {
			break
		}
		if t != "" {
			out = append(out, clip(string(t), clipName))
		}
	}
	return out
}
