package parse

import (
	"io"
	"strings"
)

// ZAP reads an OWASP ZAP "traditional-json" report (what zap-baseline.py -J and
// zap-full-scan.py -J write) into the normalised finding model. name is used in errors.
//
// Each alert instance becomes one Instance. Its fingerprint is built from the alert's
// alertRef (else pluginid), the site, and the instance's URI, method and parameter, the
// identity ZAP itself uses; ids, timestamps, evidence and file order do not enter it.
func ZAP(r io.Reader, name string) (*SecurityReport, error) {
	w := newJSONWalker(r, name)
	rep := &SecurityReport{Format: ZAPJSON}
	var raws []rawFinding
	var tool Tool
	sawSites := false
	err := w.object("report", func(key string) error {
		switch key {
		case "@programName":
			return w.text(&tool.Name, clipName)
		case "@version":
			return w.text(&tool.Version, clipName)
		case "created":
			return w.text(&rep.Created, clipName)
		case "@generated":
			if rep.Created != "" {
				return w.skip()
			}
			return w.text(&rep.Created, clipName)
		case "site":
			sawSites = true
			return w.array("site", func() error {
				var err error
				raws, err = zapSite(w, raws)
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
	if !sawSites {
		return nil, &Error{File: name, Msg: `not a ZAP JSON report: no "site" list`}
	}
	if tool.Name == "" {
		tool.Name = "ZAP"
	}
	rep.Tools = []Tool{tool}
	for i := range raws {
		raws[i].group.Tool = tool.Name
	}
	finishSecurity(rep, raws)
	return rep, nil
}

// text decodes a scalar into *dst, clipped to limit bytes.
func (w *jsonWalker) text(dst *string, limit int) error {
	var t jsonText
	if err := w.value(&t); err != nil {
		return err
	}
	*dst = clip(string(t), limit)
	return nil
}

// zapSite reads one entry of "site" and appends its alert instances. The site's name may
// come after its alerts in the object, so it is filled in once the object is done.
func zapSite(w *jsonWalker, raws []rawFinding) ([]rawFinding, error) {
	first := len(raws)
	var site string
	err := w.object("site", func(key string) error {
		switch key {
		case "@name":
			return w.text(&site, clipName)
		case "alerts":
			return w.array("alerts", func() error {
				var err error
				raws, err = zapAlert(w, raws)
				return err
			})
		}
		return w.skip()
	})
	for i := first; i < len(raws); i++ {
		raws[i].base[1] = site
		if raws[i].inst.URI == "" {
			raws[i].inst.URI = site
		}
	}
	return raws, err
}

// zapInstance is one entry of an alert's "instances"; the id is left out on purpose (it
// changes every scan).
type zapInstance struct {
	URI       jsonText `json:"uri"`
	Method    jsonText `json:"method"`
	Param     jsonText `json:"param"`
	Attack    jsonText `json:"attack"`
	Evidence  jsonText `json:"evidence"`
	OtherInfo jsonText `json:"otherinfo"`
}

// zapAlert reads one alert. Its scalar members are read one by one and its instances one
// at a time, so an alert with a hundred thousand instances is never decoded as one value.
func zapAlert(w *jsonWalker, raws []rawFinding) ([]rawFinding, error) {
	var start jsonPos
	var (
		f                  Finding
		pluginID, alertRef string
		alertName, name    string
		riskcode, conf     string
		cwe                string
		instances          []zapInstance
	)
	err := w.object("alert", func(key string) error {
		if start.line == 0 {
			start = w.opened // before any nested object overwrites it
		}
		switch key {
		case "pluginid":
			return w.text(&pluginID, clipName)
		case "alertRef":
			return w.text(&alertRef, clipName)
		case "alert":
			return w.text(&alertName, clipName)
		case "name":
			return w.text(&name, clipName)
		case "riskcode":
			return w.text(&riskcode, clipName)
		case "confidence":
			return w.text(&conf, clipName)
		case "desc":
			return w.text(&f.Description, clipDetail)
		case "solution":
			return w.text(&f.Solution, clipDetail)
		case "reference":
			return w.text(&f.Reference, clipDetail)
		case "cweid":
			return w.text(&cwe, clipName)
		case "instances":
			return w.array("instances", func() error {
				if len(raws)+len(instances) >= maxItems {
					return w.errorHere("more than %d finding instances", maxItems)
				}
				var in zapInstance
				if err := w.value(&in); err != nil {
					return err
				}
				instances = append(instances, in)
				return nil
			})
		}
		return w.skip()
	})
	if err != nil {
		return raws, err
	}
	if start.line == 0 { // an empty object
		start = w.posOf(w.dec.InputOffset() - 1)
	}

	f.RuleID = firstNonEmpty(alertRef, pluginID)
	if f.RuleID == "" {
		return raws, w.errorAtPos(start, "ZAP alert has neither pluginid nor alertRef")
	}
	f.RuleName = firstNonEmpty(name, alertName)
	risk, ok := zapRisk(riskcode)
	if !ok {
		return raws, w.errorAtPos(start, "ZAP alert %s: riskcode %q is not 0, 1, 2 or 3", f.RuleID, riskcode)
	}
	f.Risk = risk
	f.Confidence = zapConfidence(conf)
	if n := jsonText(cwe).int(); n > 0 {
		f.CWE = n
	}
	if len(instances) == 0 {
		// Older ZAP versions and systemic alerts may list no instance; the alert still counts
		// once, located at its site.
		instances = append(instances, zapInstance{})
	}
	for _, in := range instances {
		inst := Instance{
			URI:       clip(string(in.URI), clipName),
			Method:    clip(strings.ToUpper(string(in.Method)), clipName),
			Param:     clip(string(in.Param), clipName),
			Attack:    clip(string(in.Attack), clipShort),
			Evidence:  clip(string(in.Evidence), clipShort),
			OtherInfo: clip(string(in.OtherInfo), clipShort),
		}
		raws = append(raws, rawFinding{
			group: f,
			inst:  inst,
			// base[1], the site, is filled in by zapSite.
			base: []string{"zap", "", f.RuleID, inst.URI, inst.Method, inst.Param},
		})
	}
	return raws, nil
}

// zapRisk maps ZAP's riskcode (0 informational … 3 high).
func zapRisk(code string) (Risk, bool) {
	switch strings.TrimSpace(code) {
	case "0":
		return RiskInfo, true
	case "1":
		return RiskLow, true
	case "2":
		return RiskMedium, true
	case "3":
		return RiskHigh, true
	}
	return "", false
}

// zapConfidence maps ZAP's confidence (0 false positive … 4 user confirmed).
func zapConfidence(code string) Confidence {
	switch strings.TrimSpace(code) {
	case "0":
		return ConfidenceFalsePositive
	case "1":
		return ConfidenceLow
	case "2":
		return ConfidenceMedium
	case "3":
		return ConfidenceHigh
	case "4":
		return ConfidenceConfirmed
	}
	return ConfidenceUnknown
}
