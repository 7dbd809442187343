package reports

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"scanboard/app/apperr"
	"scanboard/app/reports/agg"
	"scanboard/app/reports/parse"
	"scanboard/app/reports/stats"
	"scanboard/ent"
	"scanboard/ent/run"
)

// outcome is what parsing one file produced; exactly one of its parts is set.
type outcome struct {
	format   parse.Format
	res      *agg.Result    // raw-sample formats
	sum      *parse.Summary // pre-aggregated formats
	junit    *parse.JUnitReport
	sec      *parse.SecurityReport
	history  []parse.LocustHistoryRow
	failures []parse.LocustFailure
	excepts  []parse.LocustException
}

// errJobTimeout is the cause of a job's context when the run took longer than
// Config.JobTimeout, which tells it from the worker's own context ending (a shutdown).
var errJobTimeout = errors.New("the run's processing deadline passed")

// process parses a claimed run and stores its aggregates, or its failure. Parsing and
// storing share one deadline, Config.JobTimeout (FILE-11): past it the run fails for good,
// while a cancelled ctx (shutdown) leaves it claimed, to be processed again after the lease.
func (s *Service) process(ctx context.Context, id int, token string) error {
	const op = "reports.process"
	r, err := s.db.Run.Query().Where(run.ID(id)).WithProject().Only(ctx)
	if err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	job, cancel := context.WithTimeoutCause(ctx, s.cfg.JobTimeout, errJobTimeout)
	defer cancel()
	timedOut := func() bool { return errors.Is(context.Cause(job), errJobTimeout) }
	out, err := s.parseRun(job, r, token)
	switch {
	case ctx.Err() != nil:
		return ctx.Err() // as a crash: the lease runs out and another worker starts over
	case errors.Is(err, errLostClaim):
		return nil
	case err != nil && timedOut():
		return s.failSlow(ctx, r, token)
	case err != nil:
		var pe *parse.Error
		if !errors.As(err, &pe) && apperr.KindOf(err) == apperr.Unavailable {
			return err // the database, not the file: retried after the lease
		}
		s.cfg.Logger.InfoContext(ctx, "run failed", "run", id, "err", err)
		return s.fail(ctx, id, token, err)
	}
	err = s.store(job, r, token, out)
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, errLostClaim):
		return nil
	case err != nil && timedOut():
		return s.failSlow(ctx, r, token)
	case err != nil:
		return apperr.E(op, err)
	}
	s.cfg.Logger.InfoContext(ctx, "run ready", "run", id, "format", out.format)
	return nil
}

// failSlow fails a run stopped at its deadline. Another attempt would only take as long.
func (s *Service) failSlow(ctx context.Context, r *ent.Run, token string) error {
	s.cfg.Logger.WarnContext(ctx, "run stopped at its deadline", "run", r.ID, "timeout", s.cfg.JobTimeout, "bytes", r.RawSize)
	return s.fail(ctx, r.ID, token, fmt.Errorf("%s: processing took longer than %s and was stopped; if the file is this large on purpose, ask an administrator to raise MIS_JOB_TIMEOUT",
		displayName(r.OriginalFilename), shortDuration(s.cfg.JobTimeout)))
}

// shortDuration writes d without trailing zero units: 30m, 1h, 1h30m, 45s.
func shortDuration(d time.Duration) string {
	str := d.String()
	if t, ok := strings.CutSuffix(str, "m0s"); ok {
		str = t + "m"
	}
	if t, ok := strings.CutSuffix(str, "h0m"); ok {
		str = t + "h"
	}
	return str
}

// parseRun reads the stored raw file of r with the reader its format needs. A parser panic
// on a pathological file fails that run instead of taking the process down.
func (s *Service) parseRun(ctx context.Context, r *ent.Run, token string) (_ *outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.cfg.Logger.ErrorContext(ctx, "parser panic", "run", r.ID, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("%s: the file could not be read (internal parser error; the administrators have the details)", r.OriginalFilename)
		}
	}()
	f, err := s.runFile(r.RawPath)
	if err != nil {
		return nil, fmt.Errorf("the stored file of this run is missing: %w", err)
	}
	defer f.Close()
	pr := &progressReader{ctx: ctx, s: s, r: f, id: r.ID, token: token, total: r.StoredSize, last: s.now()}
	zr, err := gzip.NewReader(bufio.NewReaderSize(pr, 256<<10))
	if err != nil {
		return nil, fmt.Errorf("the stored file of this run is damaged: %w", err)
	}
	br := bufio.NewReaderSize(zr, 256<<10)
	name := path.Base(r.OriginalFilename)
	if r.OriginalFilename == "" {
		name = "upload"
	}
	out := &outcome{format: parse.Format(r.SourceFormat)}
	switch out.format {
	case parse.JMeterCSV, parse.JMeterXML, parse.K6JSON, parse.K6CSV, parse.GatlingLog:
		a := agg.New(agg.Options{})
		switch out.format {
		case parse.JMeterCSV:
			err = parse.ReadJMeterCSV(br, parse.CSVOptions{File: name}, a)
		case parse.JMeterXML:
			err = parse.ReadJMeterXML(br, parse.XMLOptions{File: name}, a)
		case parse.K6JSON:
			err = parse.ReadK6JSON(br, name, a)
		case parse.K6CSV:
			err = parse.ReadK6CSV(br, name, a)
		case parse.GatlingLog:
			err = parse.ReadGatlingLog(br, name, a)
		}
		if err == nil {
			out.res = a.Result()
		}
	case parse.K6SummaryExport, parse.K6HandleSummary:
		out.sum, err = parse.ReadK6Summary(br, name)
	case parse.LocustStats:
		out.sum, err = parse.ReadLocustStats(br, name)
	case parse.GatlingStats:
		out.sum, err = parse.ReadGatlingStats(br, name)
	case parse.LocustHistory:
		err = parse.ReadLocustHistory(br, name, func(row *parse.LocustHistoryRow) error {
			if row.Name == "Aggregated" && len(out.history) < maxHistoryRows {
				out.history = append(out.history, *row)
			}
			return nil
		})
	case parse.LocustFailures:
		out.failures, err = parse.ReadLocustFailures(br, name)
	case parse.LocustExceptions:
		out.excepts, err = parse.ReadLocustExceptions(br, name)
	case parse.JUnitXML:
		out.junit, err = parse.JUnit(br, name)
	case parse.ZAPJSON:
		out.sec, err = parse.ZAP(br, name)
	case parse.SARIF:
		out.sec, err = parse.SARIFReport(br, name)
	default:
		return nil, fmt.Errorf("%s: format %q cannot be processed", name, r.SourceFormat)
	}
	if err != nil {
		// The aggregator's refusals (too many labels) know the line, not the file.
		if pe := (*parse.Error)(nil); errors.As(err, &pe) && pe.File == "" {
			pe.File = name
		}
		return nil, err
	}
	// The parsers stop at their end marker; anything unread would mean a damaged gzip stream.
	if _, err := io.Copy(io.Discard, br); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// maxHistoryRows bounds a Locust history file (a row per second: 2 days).
const maxHistoryRows = 200_000

// store writes every aggregate of out and marks the run ready, in one transaction that
// first re-checks the claim.
func (s *Service) store(ctx context.Context, r *ent.Run, token string, out *outcome) error {
	rules, err := parseRules(r.Edges.Project.SLARules)
	if err != nil {
		rules = nil // rules are checked when saved; an old bad rule must not fail the run
	}
	return s.st.Tx(ctx, func(tx *ent.Tx) error {
		upd := tx.Run.Update().Where(run.ID(r.ID), run.ClaimToken(token), run.StatusEQ(run.StatusProcessing)).
			SetStatus(run.StatusReady).SetProgress(100).SetError("").SetClaimToken("").ClearLeaseUntil().
			SetProcessedAt(s.now())
		w := &writer{ctx: ctx, tx: tx, runID: r.ID}
		var rep *stats.Report
		switch {
		case out.res != nil:
			rep = stats.FromResult(string(out.format), out.res)
			o := out.res.Overall
			upd.SetStartedMs(o.FirstStartMS).SetEndedMs(o.LastEndMS).SetDurationMs(max(0, o.LastEndMS-o.FirstStartMS)).
				SetSampleCount(o.Count).SetErrorCount(o.Errors).SetBucketMs(out.res.BucketMS).SetLabelBucketMs(out.res.SliceMS).
				SetMeta(map[string]string{
					"percentiles":       "nearest rank over every sample (histogram within 0.1%)",
					"overall":           "every top-level sample, transaction-controller rows included; sub-results excluded",
					"bucket_histograms": "coarse, within 1.6%",
					"slice_histograms":  "per label slice, within 0.1%; time ranges snap to slice edges",
				})
			err = w.result(out.res, rep)
		case out.sum != nil:
			rep = stats.FromSummary(out.sum)
			o := out.sum.Overall
			upd.SetPreAggregated(true).SetStartedMs(out.sum.StartMS).SetEndedMs(out.sum.EndMS).
				SetDurationMs(max(0, out.sum.EndMS-out.sum.StartMS)).SetSampleCount(o.Count).SetErrorCount(o.Errors).
				SetMeta(map[string]string{"percentiles": out.sum.PercentileMethod}).SetTotals(checkTotals(out.sum))
			err = w.summary(out.sum)
		case out.junit != nil:
			t := out.junit.Totals
			upd.SetSampleCount(int64(t.Tests)).SetErrorCount(int64(t.Failed + t.Errored)).SetDurationMs(int64(t.DurationMS)).
				SetTotals(map[string]int64{"tests": int64(t.Tests), "passed": int64(t.Passed), "failed": int64(t.Failed),
					"errored": int64(t.Errored), "skipped": int64(t.Skipped), "flaky": int64(t.Flaky)})
			err = w.cases(out.junit)
		case out.sec != nil:
			t := out.sec.Totals
			upd.SetSampleCount(int64(t.Critical + t.High + t.Medium + t.Low + t.Info)).
				SetTotals(map[string]int64{"critical": int64(t.Critical), "high": int64(t.High), "medium": int64(t.Medium),
					"low": int64(t.Low), "info": int64(t.Info), "suppressed": int64(t.Suppressed)})
			err = w.findings(out.sec)
		case out.history != nil:
			upd.SetPreAggregated(true)
			err = w.history(out.history, upd)
		default: // Locust failures or exceptions: errors only
			upd.SetPreAggregated(true)
			err = w.locustErrors(out.failures, out.excepts)
		}
		if err != nil {
			return err
		}
		if rep != nil {
			verdict, detail := slaVerdict(rep, rules)
			upd.SetSLAVerdict(verdict).SetSLADetail(detail)
		}
		n, err := upd.Save(ctx)
		if err != nil {
			return apperr.E("reports.store", apperr.Unavailable, err)
		}
		if n == 0 {
			return errLostClaim
		}
		return nil
	})
}

func checkTotals(sum *parse.Summary) map[string]int64 {
	t := map[string]int64{}
	for _, c := range sum.Checks {
		if c.Threshold {
			t["thresholds_passed"] += c.Passes
			t["thresholds_failed"] += c.Fails
		} else {
			t["checks_passed"] += c.Passes
			t["checks_failed"] += c.Fails
		}
	}
	return t
}

func pctKey(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) }
