package parse

import "strings"

// jmeterColumn identifies a save-service column the CSV parser uses. Columns the parser has no
// use for (Latency, Hostname, sample variables, …) are colOther and are only counted.
type jmeterColumn uint8

const (
	colOther jmeterColumn = iota
	colTimeStamp
	colElapsed
	colLabel
	colResponseCode
	colResponseMessage
	colThreadName
	colDataType
	colSuccess
	colFailureMessage
	colBytes
	colSentBytes
	colAllThreads
	colURL
)

// jmeterColumnNames lists every save-service column in JMeter's canonical order
// (CSVSaveService), mapped to what the parser does with it.
var jmeterColumnNames = []struct {
	name string
	col  jmeterColumn
}{
	{"timeStamp", colTimeStamp},
	{"elapsed", colElapsed},
	{"label", colLabel},
	{"responseCode", colResponseCode},
	{"responseMessage", colResponseMessage},
	{"threadName", colThreadName},
	{"dataType", colDataType},
	{"success", colSuccess},
	{"failureMessage", colFailureMessage},
	{"bytes", colBytes},
	{"sentBytes", colSentBytes},
	{"grpThreads", colOther},
	{"allThreads", colAllThreads},
	{"URL", colURL},
	{"Filename", colOther},
	{"Latency", colOther},
	{"Encoding", colOther},
	{"SampleCount", colOther},
	{"ErrorCount", colOther},
	{"Hostname", colOther},
	{"IdleTime", colOther},
	{"Connect", colOther},
}

// DefaultJMeterColumns is the column set JMeter 3.1 to 5.6 writes by default; headerless files
// are read with it unless CSVOptions.Columns says otherwise.
func DefaultJMeterColumns() []string {
	return []string{"timeStamp", "elapsed", "label", "responseCode", "responseMessage",
		"threadName", "dataType", "success", "failureMessage", "bytes", "sentBytes",
		"grpThreads", "allThreads", "URL", "Latency", "IdleTime", "Connect"}
}

// lookupJMeterColumn finds a save-service column by header name. JMeter matches names exactly;
// a case-insensitive fallback accepts hand-edited headers without accepting unknown words.
func lookupJMeterColumn(name string) (jmeterColumn, bool) {
	for _, c := range jmeterColumnNames {
		if c.name == name {
			return c.col, true
		}
	}
	for _, c := range jmeterColumnNames {
		if strings.EqualFold(c.name, name) {
			return c.col, true
		}
	}
	return colOther, false
}

// isSampleVariableCell reports whether a raw header cell is a quoted sample-variable name,
// which JMeter writes with literal double quotes around it after the known columns.
func isSampleVariableCell(raw string) bool {
	return len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"'
}
