package parse

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// Risk is the normalised severity of a security finding. ZAP's riskcode and SARIF's level or
// security-severity score are both mapped onto it so the dashboards can count and sort
// findings from either tool the same way.
type Risk string

// Risk levels, lowest first.
const (
	RiskInfo     Risk = "info"
	RiskLow      Risk = "low"
	RiskMedium   Risk = "medium"
	RiskHigh     Risk = "high"
	RiskCritical Risk = "critical"
)

// Rank orders risks: info 0 … critical 4; an unknown value ranks below info (-1).
func (r Risk) Rank() int {
	switch r {
	case RiskInfo:
		return 0
	case RiskLow:
		return 1
	case RiskMedium:
		return 2
	case RiskHigh:
		return 3
	case RiskCritical:
		return 4
	}
	return -1
}

// Confidence is how sure the tool is that a finding is real. Empty means the tool did not say.
type Confidence string

// Confidence levels, least sure first.
const (
	ConfidenceUnknown       Confidence = ""
	ConfidenceFalsePositive Confidence = "false-positive"
	ConfidenceLow           Confidence = "low"
	ConfidenceMedium        Confidence = "medium"
	ConfidenceHigh          Confidence = "high"
	ConfidenceConfirmed     Confidence = "confirmed"
)

// Rank orders confidences: unknown 0, false-positive 1 … confirmed 5.
func (c Confidence) Rank() int {
	switch c {
	case ConfidenceFalsePositive:
		return 1
	case ConfidenceLow:
		return 2
	case ConfidenceMedium:
		return 3
	case ConfidenceHigh:
		return 4
	case ConfidenceConfirmed:
		return 5
	}
	return 0
}

// SecurityReport is one parsed ZAP or SARIF file in the normalised finding model.
type SecurityReport struct {
	Format   Format
	Tools    []Tool    // the scanners that produced the file (one per SARIF run)
	Created  string    // creation time as the tool wrote it; empty when not stated
	Findings []Finding // sorted: highest risk first, then tool, rule and confidence
	Totals   RiskCounts
}

// Tool names a scanner and its version.
type Tool struct {
	Name    string
	Version string
}

// RiskCounts counts finding instances per risk. Suppressed instances (SARIF suppressions)
// are counted under Suppressed only.
type RiskCounts struct {
	Critical   int
	High       int
	Medium     int
	Low        int
	Info       int
	Suppressed int
}

// Finding is one rule reported at one risk and confidence, with every place it was found.
// A rule whose results carry different risks (SARIF levels vary per result) appears once per
// risk, the way ZAP itself reports one alert per plugin, risk and confidence.
type Finding struct {
	Tool        string // scanner name, e.g. "ZAP", "CodeQL"
	RuleID      string // ZAP alertRef (else pluginid); SARIF ruleId
	RuleName    string // human-readable rule title
	Risk        Risk
	Confidence  Confidence
	CWE         int    // CWE id, 0 when not stated
	Description string // plain text or the tool's HTML, clipped
	Solution    string // remedy as the tool wrote it, clipped
	Reference   string // links or help URI as written, clipped
	Tags        []string
	Instances   []Instance // sorted by location
}

// Instance is one place a finding occurs. Web scanners fill URI, Method and Param; code
// scanners fill File and Line.
type Instance struct {
	URI       string
	Method    string
	Param     string
	Attack    string
	Evidence  string
	OtherInfo string
	File      string
	Line      int
	Column    int
	Message   string // SARIF result message
	// Fingerprint identifies this instance across scans of the same target: it is derived
	// from the tool, the rule and the location (or the tool's own fingerprints) and never from
	// volatile fields such as ids, timestamps or evidence, nor from the order of the file.
	// Compare two scans' fingerprint sets to get new, fixed and still-open instances.
	Fingerprint string
	// Suppressed is set when the tool recorded the result as suppressed (SARIF suppressions).
	Suppressed bool
}

// rawFinding is one instance before grouping: the fields shared by its rule travel with it
// until finishSecurity groups instances into findings.
type rawFinding struct {
	group Finding // rule-level fields; Instances unused
	inst  Instance
	base  []string // identity fields for the fingerprint, most significant first
}

// fingerprintOf hashes identity fields, each length-prefixed so that ("ab","c") and
// ("a","bc") differ. 128 bits of SHA-256, hex: short enough to index, far from collisions.
func fingerprintOf(fields ...string) string {
	h := sha256.New()
	var n [8]byte
	for _, f := range fields {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	sum := h.Sum(nil)
	return hex.EncodeToString(sum[:16])
}

// finishSecurity turns raw instances into the sorted, grouped report. Instances with the same
// identity (a scanner may list one URL twice with different evidence) are told apart by their
// rank among themselves in a content order, not file order, so their fingerprints survive
// reordering: the first keeps the plain identity hash, the k-th gets "#k" mixed in.
func finishSecurity(rep *SecurityReport, raws []rawFinding) {
	byBase := make(map[string][]int, len(raws))
	for i := range raws {
		fp := fingerprintOf(raws[i].base...)
		raws[i].inst.Fingerprint = fp
		byBase[fp] = append(byBase[fp], i)
	}
	for fp, idx := range byBase {
		if len(idx) < 2 {
			continue
		}
		slices.SortFunc(idx, func(a, b int) int { return compareContent(&raws[a].inst, &raws[b].inst) })
		for k, i := range idx[1:] {
			raws[i].inst.Fingerprint = fingerprintOf(fp, "#"+strconv.Itoa(k+2))
		}
	}

	type groupKey struct {
		tool, rule string
		risk       Risk
		conf       Confidence
	}
	groups := make(map[groupKey]int)
	for i := range raws {
		r := &raws[i]
		k := groupKey{r.group.Tool, r.group.RuleID, r.group.Risk, r.group.Confidence}
		gi, ok := groups[k]
		if !ok {
			gi = len(rep.Findings)
			groups[k] = gi
			rep.Findings = append(rep.Findings, r.group)
		}
		f := &rep.Findings[gi]
		mergeRuleFields(f, &r.group)
		f.Instances = append(f.Instances, r.inst)
		countRisk(&rep.Totals, r.group.Risk, r.inst.Suppressed)
	}
	for i := range rep.Findings {
		slices.SortFunc(rep.Findings[i].Instances, compareLocation)
	}
	slices.SortFunc(rep.Findings, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(b.Risk.Rank(), a.Risk.Rank()),
			strings.Compare(a.Tool, b.Tool),
			strings.Compare(a.RuleID, b.RuleID),
			cmp.Compare(b.Confidence.Rank(), a.Confidence.Rank()),
		)
	})
}

// mergeRuleFields fills rule-level fields the group lacks from another instance of the same
// rule (ZAP repeats them per site). Where two differ, the smaller wins, so the result does not
// depend on which came first in the file.
func mergeRuleFields(dst, src *Finding) {
	if dst.RuleName == "" || (src.RuleName != "" && src.RuleName < dst.RuleName) {
		dst.RuleName = src.RuleName
	}
	if dst.CWE == 0 || (src.CWE != 0 && src.CWE < dst.CWE) {
		dst.CWE = src.CWE
	}
	dst.Description = minNonEmpty(dst.Description, src.Description)
	dst.Solution = minNonEmpty(dst.Solution, src.Solution)
	dst.Reference = minNonEmpty(dst.Reference, src.Reference)
	if len(dst.Tags) == 0 {
		dst.Tags = src.Tags
	}
}

// minNonEmpty picks the smaller non-empty string so the choice does not depend on file order.
func minNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return min(a, b)
}

func countRisk(t *RiskCounts, r Risk, suppressed bool) {
	if suppressed {
		t.Suppressed++
		return
	}
	switch r {
	case RiskCritical:
		t.Critical++
	case RiskHigh:
		t.High++
	case RiskMedium:
		t.Medium++
	case RiskLow:
		t.Low++
	default:
		t.Info++
	}
}

// compareLocation orders instances for display: by URI, file and position, then by the
// fingerprint, which is unique within a report and so makes the order total.
func compareLocation(a, b Instance) int {
	return cmp.Or(
		strings.Compare(a.URI, b.URI),
		strings.Compare(a.File, b.File),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Column, b.Column),
		strings.Compare(a.Method, b.Method),
		strings.Compare(a.Param, b.Param),
		strings.Compare(a.Fingerprint, b.Fingerprint),
	)
}

// compareContent orders instances that share an identity by everything they carry, so the
// ordinal that separates their fingerprints depends on content, never on file order.
func compareContent(a, b *Instance) int {
	return cmp.Or(
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Column, b.Column),
		strings.Compare(a.Evidence, b.Evidence),
		strings.Compare(a.Attack, b.Attack),
		strings.Compare(a.OtherInfo, b.OtherInfo),
		strings.Compare(a.Message, b.Message),
		strings.Compare(a.URI, b.URI),
		strings.Compare(a.File, b.File),
	)
}

// firstNonEmpty returns the first of its arguments that is not empty.
func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
