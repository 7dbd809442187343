package reports

import (
	"context"
	"fmt"

	"scanboard/app/apperr"
	"scanboard/app/reports/agg"
	"scanboard/app/reports/parse"
	"scanboard/app/reports/stats"
	"scanboard/ent"
	"scanboard/ent/runbucket"
	"scanboard/ent/runcase"
	"scanboard/ent/runlabel"
)

// batch keeps bulk inserts under SQLite's and PostgreSQL's bound-parameter limits.
const batch = 400

// Errors kept per run: the most frequent of the whole run and of each label.
const (
	runTopErrors   = 50
	labelTopErrors = 10
)

// writer inserts one run's aggregates inside the processing transaction.
type writer struct {
	ctx   context.Context
	tx    *ent.Tx
	runID int
}

func dbErr(err error) error {
	if err == nil {
		return nil
	}
	return apperr.E("reports.store", apperr.Unavailable, err)
}

// bulk saves creates in batches and returns the created rows' ids in order.
func bulk[C any, E any](ctx context.Context, items []C, save func(context.Context, []C) ([]E, error)) ([]E, error) {
	out := make([]E, 0, len(items))
	for i := 0; i < len(items); i += batch {
		rows, err := save(ctx, items[i:min(i+batch, len(items))])
		if err != nil {
			return nil, dbErr(err)
		}
		out = append(out, rows...)
	}
	return out, nil
}

func (w *writer) labels(cs []*ent.RunLabelCreate) ([]*ent.RunLabel, error) {
	return bulk(w.ctx, cs, func(ctx context.Context, b []*ent.RunLabelCreate) ([]*ent.RunLabel, error) {
		return w.tx.RunLabel.CreateBulk(b...).Save(ctx)
	})
}

func (w *writer) buckets(cs []*ent.RunBucketCreate) error {
	_, err := bulk(w.ctx, cs, func(ctx context.Context, b []*ent.RunBucketCreate) ([]struct{}, error) {
		return nil, w.tx.RunBucket.CreateBulk(b...).Exec(ctx)
	})
	return err
}

func (w *writer) errors(cs []*ent.RunErrorCreate) error {
	_, err := bulk(w.ctx, cs, func(ctx context.Context, b []*ent.RunErrorCreate) ([]struct{}, error) {
		return nil, w.tx.RunError.CreateBulk(b...).Exec(ctx)
	})
	return err
}

func codesMap(cs []agg.CodeCount) map[string]int64 {
	m := make(map[string]int64, len(cs))
	for _, c := range cs {
		m[c.Code] += c.Count
	}
	return m
}

func histBytes(h *agg.Hist) []byte {
	if h == nil {
		return nil
	}
	b, _ := h.MarshalBinary() // cannot fail
	return b
}

// labelRow builds a label row from aggregated figures and the matching report row, so the
// stored figures are those `mis report stats` prints.
func (w *writer) labelRow(kind runlabel.Kind, l *agg.Label, row *stats.Row) *ent.RunLabelCreate {
	return w.tx.RunLabel.Create().SetRunID(w.runID).SetName(l.Name).SetKind(kind).SetTransaction(l.Transaction).
		SetCount(l.Count).SetErrors(l.Errors).SetSumMs(l.SumMS).SetMinMs(l.MinMS).SetMaxMs(l.MaxMS).
		SetBytesRecv(l.BytesRecv).SetBytesSent(l.BytesSent).SetFirstStartMs(l.FirstStartMS).SetLastEndMs(l.LastEndMS).
		SetMaxThreads(l.MaxThreads).SetThroughputPerS(row.ThroughputPerS).
		SetNillableP50Ms(row.P50MS).SetNillableP90Ms(row.P90MS).SetNillableP95Ms(row.P95MS).SetNillableP99Ms(row.P99MS).
		SetCodes(codesMap(l.Codes)).SetHistAll(histBytes(l.All)).SetHistOk(histBytes(l.OK))
}

func (w *writer) bucketRow(labelID int, grid runbucket.Grid, b *agg.Bucket) *ent.RunBucketCreate {
	c := w.tx.RunBucket.Create().SetLabelID(labelID).SetGrid(grid).SetStartMs(b.StartMS).
		SetCount(b.Count).SetErrors(b.Errors).SetSumMs(b.SumMS).SetMinMs(b.MinMS).SetMaxMs(b.MaxMS).
		SetBytesRecv(b.BytesRecv).SetBytesSent(b.BytesSent).SetMaxThreads(b.MaxThreads).SetCodes(codesMap(b.Codes))
	switch {
	case b.Fine != nil:
		enc, _ := b.Fine.MarshalBinary() // cannot fail
		c.SetHist(enc)
	case b.Hist != nil:
		c.SetHist(histBytes(b.Hist))
	}
	return c
}

func (w *writer) errorRows(label string, top []agg.ErrorCount) []*ent.RunErrorCreate {
	out := make([]*ent.RunErrorCreate, 0, len(top))
	for _, e := range top {
		out = append(out, w.tx.RunError.Create().SetRunID(w.runID).SetLabel(label).SetKey(clip(e.Key, maxDetail)).
			SetCode(clip(e.Code, 200)).SetMessage(clip(e.Message, maxDetail)).SetCount(e.Count).SetOver(e.Over))
	}
	return out
}

// result stores a raw-sample run: the overall row with its chart buckets, every label with
// its chart buckets and histogram slices, and the top errors.
func (w *writer) result(res *agg.Result, rep *stats.Report) error {
	creates := []*ent.RunLabelCreate{w.labelRow(runlabel.KindOverall, res.Overall, &rep.Overall)}
	for i, l := range res.Labels {
		kind := runlabel.KindLabel
		if l.Sub {
			kind = runlabel.KindSub
		}
		creates = append(creates, w.labelRow(kind, l, &rep.Labels[i]))
	}
	rows, err := w.labels(creates)
	if err != nil {
		return err
	}
	var bs []*ent.RunBucketCreate
	for _, b := range res.Overall.Buckets() {
		bs = append(bs, w.bucketRow(rows[0].ID, runbucket.GridChart, b))
	}
	errs := w.errorRows("", res.Overall.ErrorKeys.Top(runTopErrors))
	for i, l := range res.Labels {
		id := rows[i+1].ID
		for _, b := range l.Buckets() {
			bs = append(bs, w.bucketRow(id, runbucket.GridChart, b))
		}
		for _, b := range l.Slices() {
			bs = append(bs, w.bucketRow(id, runbucket.GridSlice, b))
		}
		if len(bs) >= 4*batch {
			if err := w.buckets(bs); err != nil {
				return err
			}
			bs = bs[:0]
		}
		errs = append(errs, w.errorRows(l.Name, l.ErrorKeys.Top(labelTopErrors))...)
	}
	if err := w.buckets(bs); err != nil {
		return err
	}
	return w.errors(errs)
}

// statedRow stores a pre-aggregated tool's figures as stated, percentiles included.
func (w *writer) statedRow(kind runlabel.Kind, st *parse.Stats) *ent.RunLabelCreate {
	// The mean goes in too: k6 states means of trends without a count, so sum/count
	// cannot carry it.
	stated := map[string]float64{"mean": st.MeanMS}
	for p, v := range st.Percentiles {
		stated[pctKey(p)] = v
	}
	pct := func(p float64) *float64 {
		if v, ok := st.Percentiles[p]; ok {
			return &v
		}
		return nil
	}
	return w.tx.RunLabel.Create().SetRunID(w.runID).SetName(st.Label).SetKind(kind).SetTransaction(st.Transaction).
		SetCount(st.Count).SetErrors(st.Errors).SetSumMs(st.MeanMS * float64(st.Count)).SetMinMs(st.MinMS).SetMaxMs(st.MaxMS).
		SetBytesRecv(st.BytesRecv).SetBytesSent(st.BytesSent).SetThroughputPerS(st.ThroughputPerS).
		SetNillableP50Ms(pct(50)).SetNillableP90Ms(pct(90)).SetNillableP95Ms(pct(95)).SetNillableP99Ms(pct(99)).
		SetStated(stated)
}

func (w *writer) summary(sum *parse.Summary) error {
	o := sum.Overall
	o.Label = ""
	creates := []*ent.RunLabelCreate{w.statedRow(runlabel.KindOverall, &o)}
	for i := range sum.Labels {
		creates = append(creates, w.statedRow(runlabel.KindLabel, &sum.Labels[i]))
	}
	for i := range sum.Other {
		creates = append(creates, w.statedRow(runlabel.KindOther, &sum.Other[i]))
	}
	_, err := w.labels(creates)
	return err
}

// maxDetail bounds a stored stack trace or finding text.
const maxDetail = 32 << 10

func (w *writer) cases(rep *parse.JUnitReport) error {
	var cs []*ent.RunCaseCreate
	for _, su := range rep.Suites {
		for _, c := range su.Cases {
			cs = append(cs, w.tx.RunCase.Create().SetRunID(w.runID).SetCaseKey(c.Key()).SetSuite(c.Suite).
				SetClassname(c.Classname).SetName(c.Name).SetStatus(runcase.Status(c.Status)).SetDurationMs(c.DurationMS).
				SetMessage(clip(c.Message, maxDetail)).SetType(clip(c.Type, 1000)).SetDetail(clip(c.Detail, maxDetail)).
				SetFlaky(c.Flaky).SetFile(c.File).SetLine(c.Line))
		}
	}
	_, err := bulk(w.ctx, cs, func(ctx context.Context, b []*ent.RunCaseCreate) ([]struct{}, error) {
		return nil, w.tx.RunCase.CreateBulk(b...).Exec(ctx)
	})
	return err
}

func (w *writer) findings(rep *parse.SecurityReport) error {
	var cs []*ent.RunFindingCreate
	for _, f := range rep.Findings {
		for _, in := range f.Instances {
			cs = append(cs, w.tx.RunFinding.Create().SetRunID(w.runID).SetFingerprint(clip(in.Fingerprint, 128)).
				SetTool(clip(f.Tool, 200)).SetRuleID(clip(f.RuleID, 500)).SetRuleName(f.RuleName).
				SetRisk(clip(string(f.Risk), 16)).SetConfidence(clip(string(f.Confidence), 16)).SetCwe(f.CWE).
				SetURI(in.URI).SetMethod(clip(in.Method, 16)).SetParam(in.Param).SetAttack(clip(in.Attack, maxDetail)).
				SetEvidence(clip(in.Evidence, maxDetail)).SetFile(in.File).SetLine(in.Line).SetMessage(clip(in.Message, maxDetail)).
				SetDescription(clip(f.Description, maxDetail)).SetSolution(clip(f.Solution, maxDetail)).
				SetReference(clip(f.Reference, maxDetail)).SetSuppressed(in.Suppressed))
		}
	}
	_, err := bulk(w.ctx, cs, func(ctx context.Context, b []*ent.RunFindingCreate) ([]struct{}, error) {
		return nil, w.tx.RunFinding.CreateBulk(b...).Exec(ctx)
	})
	return err
}

// history stores Locust's per-second history of the "Aggregated" row as the overall row's
// chart buckets: requests and failures per row are the differences of the running totals.
func (w *writer) history(rows []parse.LocustHistoryRow, upd *ent.RunUpdate) error {
	if len(rows) == 0 {
		return nil
	}
	last := rows[len(rows)-1]
	first := rows[0]
	o := w.tx.RunLabel.Create().SetRunID(w.runID).SetName("").SetKind(runlabel.KindOverall).
		SetCount(last.TotalRequests).SetErrors(last.TotalFailures).SetSumMs(last.TotalMeanMS * float64(last.TotalRequests)).
		SetMinMs(last.TotalMinMS).SetMaxMs(last.TotalMaxMS).SetFirstStartMs(first.TimeMS).SetLastEndMs(last.TimeMS)
	labels, err := w.labels([]*ent.RunLabelCreate{o})
	if err != nil {
		return err
	}
	upd.SetStartedMs(first.TimeMS).SetEndedMs(last.TimeMS).SetDurationMs(last.TimeMS - first.TimeMS).
		SetSampleCount(last.TotalRequests).SetErrorCount(last.TotalFailures)
	var bs []*ent.RunBucketCreate
	var prevReq, prevFail int64
	maxThreads := 0
	for _, r := range rows {
		b := &agg.Bucket{StartMS: r.TimeMS, MaxThreads: r.Users}
		b.Count, b.Errors = max(0, r.TotalRequests-prevReq), max(0, r.TotalFailures-prevFail)
		prevReq, prevFail = r.TotalRequests, r.TotalFailures
		maxThreads = max(maxThreads, r.Users)
		bs = append(bs, w.bucketRow(labels[0].ID, runbucket.GridChart, b))
	}
	if err := w.tx.RunLabel.UpdateOneID(labels[0].ID).SetMaxThreads(maxThreads).Exec(w.ctx); err != nil {
		return dbErr(err)
	}
	return w.buckets(bs)
}

func (w *writer) locustErrors(fs []parse.LocustFailure, es []parse.LocustException) error {
	var cs []*ent.RunErrorCreate
	for _, f := range fs {
		label := f.Name
		if f.Method != "" {
			label = f.Method + " " + f.Name
		}
		cs = append(cs, w.tx.RunError.Create().SetRunID(w.runID).SetLabel(label).SetKey(clip(f.Error, maxDetail)).SetMessage(clip(f.Error, maxDetail)).SetCount(f.Occurrences))
	}
	for _, e := range es {
		cs = append(cs, w.tx.RunError.Create().SetRunID(w.runID).SetLabel("").SetKey(clip(e.Message, maxDetail)).
			SetMessage(clip(fmt.Sprintf("%s\n%s", e.Message, e.Traceback), maxDetail)).SetCount(e.Count))
	}
	return w.errors(cs)
}
