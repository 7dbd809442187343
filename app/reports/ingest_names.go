package reports

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"scanboard/app/apperr"
	"scanboard/app/reports/parse"
)

// Refusal is the cause of an upload refused for a reason the uploader can fix. The
// translation of its error's message key names the file and the problem itself, filled in
// from Data; Msg says the same in English for the log and for callers without a catalogue.
type Refusal struct {
	Msg  string
	Data map[string]any
}

func (r *Refusal) Error() string { return r.Msg }

// MessageData fills the placeholders of the message key (the web layer asks for it).
func (r *Refusal) MessageData() map[string]any { return r.Data }

// FILE-04: the format of an upload is decided by its content (parse.Detect), and its name
// must agree: an extension from this allowlist, of the family the content belongs to, with
// an optional trailing .gz. A name is what tells people, browsers and tools what a file
// is, so an XML body named .csv is refused rather than stored under a misleading name.
var (
	csvExts  = []string{".csv", ".jtl"}
	xmlExts  = []string{".xml", ".jtl"}
	jsonExts = []string{".json", ".ndjson", ".jsonl", ".sarif"}
	logExts  = []string{".log"}
)

// allowedExts lists the extensions a file of format f may have; nil for a format that is
// not uploaded.
func allowedExts(f parse.Format) []string {
	switch f {
	case parse.JMeterCSV, parse.K6CSV, parse.LocustStats, parse.LocustHistory, parse.LocustFailures, parse.LocustExceptions:
		return csvExts
	case parse.JMeterXML, parse.JUnitXML:
		return xmlExts
	case parse.K6SummaryExport, parse.K6HandleSummary, parse.K6JSON, parse.GatlingStats, parse.ZAPJSON, parse.SARIF:
		return jsonExts
	case parse.GatlingLog:
		return logExts
	}
	return nil
}

// uploadExt is the extension that says what name's content is: the last one, after
// dropping a trailing .gz, lower-cased ("" when there is none).
func uploadExt(name string) string {
	base := strings.ToLower(name)
	if b, ok := strings.CutSuffix(base, ".gz"); ok {
		base = b
	}
	return path.Ext(base)
}

// acceptedExts is every extension on the allowlist, in the order messages list them.
var acceptedExts = []string{".csv", ".jtl", ".xml", ".json", ".ndjson", ".jsonl", ".sarif", ".log"}

// checkName refuses, before anything is read, an upload without a name or whose extension
// is on no family's list.
func checkName(op, name string) error {
	if name == "" {
		return apperr.E(op, apperr.Invalid, apperr.Key("error.upload_name_missing"), &Refusal{
			Msg: "the upload has no file name: send it in the X-Filename header or the filename query parameter, with its extension",
		})
	}
	ext := uploadExt(name)
	if slices.Contains(acceptedExts, ext) {
		return nil
	}
	list := strings.Join(acceptedExts, ", ")
	if ext == "" {
		return apperr.E(op, apperr.Invalid, apperr.Key("error.upload_no_extension"), &Refusal{
			Msg:  fmt.Sprintf("%s has no extension; result files end in %s (optionally followed by .gz)", name, list),
			Data: map[string]any{"File": name, "Allowed": list},
		})
	}
	return apperr.E(op, apperr.Invalid, apperr.Key("error.upload_extension"), &Refusal{
		Msg:  fmt.Sprintf("%s: the extension %s is not accepted; result files end in %s (optionally followed by .gz)", name, ext, list),
		Data: map[string]any{"File": name, "Ext": ext, "Allowed": list},
	})
}

// checkNameFits refuses a name whose extension is not of the family of the detected format.
func checkNameFits(op, name string, f parse.Format) error {
	ext := uploadExt(name)
	allowed := allowedExts(f)
	if slices.Contains(allowed, ext) {
		return nil
	}
	list := strings.Join(allowed, ", ")
	if allowed == nil {
		list = "(none)"
	}
	return apperr.E(op, apperr.Invalid, apperr.Key("error.upload_extension_mismatch"), &Refusal{
		Msg: fmt.Sprintf("%s: the content is %s but the name ends in %s; a file with this content must end in %s (optionally followed by .gz)",
			name, f, ext, list),
		Data: map[string]any{"File": name, "Format": string(f), "Ext": ext, "Allowed": list},
	})
}
