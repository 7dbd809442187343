// Package reports draws the dashboard pages: run report, project page with trends,
// comparison, security and JUnit views and the managers' overview. Every number arrives
// formatted for the locale; raw values ride along in data-v attributes so static/js/charts.js
// can sort tables, and chart data is fetched as JSON from the URLs in data-src attributes.
package reports

// Cell is one table cell: its text for people and its value for sorting.
type Cell struct {
	Text  string
	Value float64
	Class string // optional CSS class (e.g. sb-bad, sb-good)
}

// Row is one table row; Href, when set, links the first cell.
type Row struct {
	Href  string
	Class string
	Cells []Cell
}

// Table is a sortable table: its column header keys (message ids) and rows.
type Table struct {
	ID      string
	Headers []string
	Rows    []Row
	Numeric []bool // columns aligned right and sorted as numbers
	CSV     string // export URL; empty hides the link
	Empty   string // message id shown without rows
	// HTML, when set, is the table already drawn by TableView (for the same language):
	// cached pages reuse it instead of drawing thousands of cells again.
	HTML string
}

// Pair is a label/value line of a summary.
type Pair struct {
	Key   string // message id
	Value string
	Class string
}

// Chart is a chart placeholder drawn by static/js/charts.js.
type Chart struct {
	Kind  string // which chart of the series to draw
	Title string // message id
	Src   string // JSON URL
}

// RunModel is the run report.
type RunModel struct {
	RunID       int
	Title       string
	ProjectKey  string
	ProjectName string
	Status      string
	StatusKey   string
	Error       string
	Summary     []Pair
	SLA         string // pass, fail or ""
	SLARules    []RuleLine
	Baseline    bool
	CanCompare  bool
	CSRF        string
	Kind        string // perf, junit, security, errors
	Apdex       Table
	ApdexT      string // "500 ms / 1500 ms"
	Stats       Table
	StatsURL    string // fragment URL of the statistics table
	Filter      string
	Errors      Table
	TopErrors   Table
	Charts      []Chart
	SeriesURL   string
	// Range is the selected time range as shown, when the table is for one.
	Range string
}

// RuleLine is one SLA rule's outcome.
type RuleLine struct {
	Pass   bool
	Reason string
}

// ProjectModel is the project page.
type ProjectModel struct {
	Key, Name, Description string
	Runs                   Table
	NextURL                string
	TrendURL               string
	SecurityTrendURL       string
	Labels                 []string
	Label                  string
	BaselineID             int
	CanEdit                bool
	CSRF                   string
	SLARules               string
	ApdexS, ApdexT         int
	RegPct, RegErr         string
	RegMin                 int
	Charts                 []Chart
}

// CompareModel is a two-run comparison.
type CompareModel struct {
	ProjectKey, ProjectName string
	A, B                    int
	ATitle, BTitle          string
	Thresholds              string
	Overall                 Table
	Labels                  Table
	Charts                  []Chart
}

// SecurityModel is a scan's view.
type SecurityModel struct {
	RunID       int
	Title       string
	ProjectKey  string
	Summary     []Pair
	Matrix      Table
	Groups      []FindingGroup
	Fixed       Table
	HasPrevious bool
	Charts      []Chart
	CSV         string
}

// FindingGroup is a rule with its instances.
type FindingGroup struct {
	Title     string
	Risk      string
	RiskKey   string
	Meta      string
	New       int
	Instances Table
}

// JUnitModel is a JUnit run's view.
type JUnitModel struct {
	RunID      int
	Title      string
	ProjectKey string
	Summary    []Pair
	Cases      Table
}

// OverviewModel is the managers' overview.
type OverviewModel struct {
	Query    string
	SLA      string
	HighRisk bool
	Table    Table
}

// ProjectsModel lists the projects a user may see.
type ProjectsModel struct {
	Table Table
}
