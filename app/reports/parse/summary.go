package parse

// Stats are the figures a pre-aggregated format states for one label (or for the whole run).
// Percentiles are the tool's own: they cannot be recomputed without the raw samples, so
// PercentileMethod on the Summary says how the tool computed them.
type Stats struct {
	Label          string
	Count          int64
	Errors         int64
	MinMS          float64
	MaxMS          float64
	MeanMS         float64
	Percentiles    map[float64]float64 // percentile (50, 90, 95, 99, …) → milliseconds
	ThroughputPerS float64             // requests per second as stated; 0 when not stated
	BytesRecv      int64
	BytesSent      int64
	// Transaction marks a row that times a group of requests (a Gatling group) rather than
	// one request.
	Transaction bool
}

// Summary is the result of a pre-aggregated format: k6 --summary-export and handleSummary
// JSON, Locust's stats CSV, Gatling's stats JSON.
type Summary struct {
	Format           Format
	StartMS, EndMS   int64  // Unix epoch milliseconds; 0 when not stated
	PercentileMethod string // e.g. "k6 linear interpolation", "locust rounded", "gatling"
	Overall          Stats
	Labels           []Stats
	// Checks holds named pass/fail counts when the tool records them (k6 checks, thresholds).
	Checks []Check
	// Other holds further rows the tool states that are neither the overall row nor a label,
	// named as the tool names them: k6 `http_req_duration{expected_response:true}`,
	// `group_duration`, `iteration_duration`, `iterations`; Gatling's OK-only and KO-only rows.
	Other []Stats
}

// Check is a named pass/fail tally stated by the tool (a k6 check or threshold).
type Check struct {
	Name   string
	Passes int64
	Fails  int64
	// Threshold marks a k6 threshold rather than a check: Passes is 1 when it held and Fails
	// is 1 when it was crossed.
	Threshold bool
}
