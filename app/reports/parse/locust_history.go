package parse

import (
	"errors"
	"io"
)

// LocustHistoryRow is one row of Locust's PREFIX_stats_history.csv: the state of one entry
// (usually "Aggregated"; every entry with --csv-full-history) at one second of the run.
type LocustHistoryRow struct {
	TimeMS       int64  // Unix epoch ms (Locust writes whole seconds)
	Users        int    // user count at that moment
	Type, Name   string // request method and name; Type "" and Name "Aggregated" for the total
	RequestsPerS float64
	FailuresPerS float64
	// Percentiles (50 → ms, …) of the last 10 s with --csv-full-history, cumulative otherwise;
	// nil when Locust wrote N/A (no requests yet). Rounded the Locust way.
	Percentiles         map[float64]float64
	TotalRequests       int64
	TotalFailures       int64
	TotalMedianMS       float64
	TotalMeanMS         float64
	TotalMinMS          float64
	TotalMaxMS          float64
	TotalAvgContentSize float64 // bytes
	Line                int     // 1-based line of the row
}

// ReadLocustHistory streams Locust's PREFIX_stats_history.csv to fn one row at a time (the
// file grows by a row per second, so it is not collected). fn's error stops the read and is
// returned unchanged; the row is reused after fn returns. name is used only in errors.
func ReadLocustHistory(r io.Reader, name string, fn func(*LocustHistoryRow) error) error {
	c, err := newLocustCSV(r, name, "Timestamp", "User Count", "Name", "Requests/s", "Failures/s",
		"Total Request Count", "Total Failure Count")
	if err != nil {
		return err
	}
	var row LocustHistoryRow
	for {
		rec, line, err := c.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		row = LocustHistoryRow{Line: line, Type: c.get(rec, "Type"), Name: c.get(rec, "Name")}
		ts, err := c.int(rec, line, "Timestamp")
		if err != nil {
			return err
		}
		row.TimeMS = ts * 1000
		users, err := c.int(rec, line, "User Count")
		if err != nil {
			return err
		}
		if users > 1<<31 {
			return c.fieldErr(line, "User Count", "%d is implausibly large", users)
		}
		row.Users = int(users)
		if row.TotalRequests, err = c.int(rec, line, "Total Request Count"); err != nil {
			return err
		}
		if row.TotalFailures, err = c.int(rec, line, "Total Failure Count"); err != nil {
			return err
		}
		floats := []struct {
			col string
			dst *float64
		}{
			{"Requests/s", &row.RequestsPerS},
			{"Failures/s", &row.FailuresPerS},
			{"Total Median Response Time", &row.TotalMedianMS},
			{"Total Average Response Time", &row.TotalMeanMS},
			{"Total Min Response Time", &row.TotalMinMS},
			{"Total Max Response Time", &row.TotalMaxMS},
			{"Total Average Content Size", &row.TotalAvgContentSize},
		}
		for _, f := range floats {
			v, _, err := c.float(rec, line, f.col)
			if err != nil {
				return err
			}
			*f.dst = v
		}
		if row.Percentiles, err = c.percentiles(rec, line); err != nil {
			return err
		}
		if err := fn(&row); err != nil {
			return err
		}
	}
	return c.finish()
}
