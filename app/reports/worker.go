package reports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"scanboard/app/apperr"
	"scanboard/ent"
	"scanboard/ent/run"
)

// errLostClaim stops a worker whose run was claimed by another worker after its lease ran
// out: only the current claim holder may store anything.
var errLostClaim = errors.New("the claim on the run was lost to another worker")

// Work runs Config.Workers workers until ctx ends. Each takes queued runs (and runs whose
// worker died) one at a time; Ingest wakes them, and they also poll every PollEvery for runs
// queued on other nodes.
func (s *Service) Work(ctx context.Context) {
	s.removeStaleTemp(ctx)
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Go(func() { s.workLoop(ctx) })
	}
	wg.Wait()
}

func (s *Service) workLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.PollEvery)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			did, err := s.ProcessNext(ctx)
			if err != nil && ctx.Err() == nil {
				s.cfg.Logger.ErrorContext(ctx, "report worker", "err", err)
				break
			}
			if !did {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// ProcessNext claims one run that needs processing and processes it. It reports false when
// there was nothing to do. A run whose processing fails, or takes longer than
// Config.JobTimeout, is stored as failed (that is not an error of ProcessNext); a cancelled
// ctx leaves the run claimed until its lease runs out, as a crash would.
func (s *Service) ProcessNext(ctx context.Context) (bool, error) {
	id, token, err := s.claim(ctx)
	if err != nil || id == 0 {
		return false, err
	}
	return true, s.process(ctx, id, token)
}

// claim takes the oldest run that is queued or whose lease ran out, by a conditional update
// on its current claim token: of two workers (on any nodes) reading the same candidate, only
// one update matches.
func (s *Service) claim(ctx context.Context) (int, string, error) {
	const op = "reports.claim"
	now := s.now()
	cands, err := s.db.Run.Query().
		Where(run.Or(run.StatusEQ(run.StatusQueued), run.And(run.StatusEQ(run.StatusProcessing), run.LeaseUntilLT(now)))).
		Order(ent.Asc(run.FieldID)).Limit(8).
		Select(run.FieldID, run.FieldStatus, run.FieldClaimToken, run.FieldAttempts).All(ctx)
	if err != nil {
		return 0, "", apperr.E(op, apperr.Unavailable, err)
	}
	for _, c := range cands {
		same := s.db.Run.Update().Where(run.ID(c.ID), run.StatusEQ(c.Status), run.ClaimToken(c.ClaimToken))
		if c.Attempts >= s.cfg.MaxAttempts {
			msg := fmt.Sprintf("processing stopped %d times before it finished (a worker crashed or the server restarted each time); upload the file again or ask an admin to check the server log", c.Attempts)
			if _, err := same.SetStatus(run.StatusFailed).SetError(msg).SetClaimToken("").ClearLeaseUntil().SetProcessedAt(now).Save(ctx); err != nil {
				return 0, "", apperr.E(op, apperr.Unavailable, err)
			}
			continue
		}
		token := randomName()
		n, err := same.SetStatus(run.StatusProcessing).SetClaimToken(token).SetLeaseUntil(now.Add(s.cfg.Lease)).
			AddAttempts(1).SetProgress(0).Save(ctx)
		if err != nil {
			return 0, "", apperr.E(op, apperr.Unavailable, err)
		}
		if n == 1 {
			return c.ID, token, nil
		}
	}
	return 0, "", nil
}

// heartbeat stores progress and renews the lease, failing with errLostClaim when the run is
// no longer this worker's.
func (s *Service) heartbeat(ctx context.Context, id int, token string, pct int) error {
	n, err := s.db.Run.Update().Where(run.ID(id), run.ClaimToken(token), run.StatusEQ(run.StatusProcessing)).
		SetProgress(pct).SetLeaseUntil(s.now().Add(s.cfg.Lease)).Save(ctx)
	if err != nil {
		return apperr.E("reports.heartbeat", apperr.Unavailable, err)
	}
	if n == 0 {
		return errLostClaim
	}
	return nil
}

// fail stores why a run could not be processed; it has no aggregates.
func (s *Service) fail(ctx context.Context, id int, token string, cause error) error {
	_, err := s.db.Run.Update().Where(run.ID(id), run.ClaimToken(token), run.StatusEQ(run.StatusProcessing)).
		SetStatus(run.StatusFailed).SetError(clip(cause.Error(), 4000)).SetClaimToken("").ClearLeaseUntil().
		SetProcessedAt(s.now()).Save(ctx)
	if err != nil {
		return apperr.E("reports.fail", apperr.Unavailable, err)
	}
	return nil
}

// progressReader counts the compressed bytes read from the raw file and, at most every
// ProgressEvery, stores the share read as the run's progress (up to 99: 100 means stored).
// It also stops the parse when ctx ends or the claim is lost.
type progressReader struct {
	ctx   context.Context
	s     *Service
	r     io.Reader
	id    int
	token string
	total int64
	read  int64
	last  time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	if err := p.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.r.Read(b)
	p.read += int64(n)
	if now := p.s.now(); now.Sub(p.last) >= p.s.cfg.ProgressEvery {
		p.last = now
		pct := 99
		if p.total > 0 {
			pct = int(min(99, p.read*100/p.total))
		}
		if herr := p.s.heartbeat(p.ctx, p.id, p.token, pct); herr != nil {
			return n, herr
		}
	}
	return n, err
}

// runFile opens a run's raw file below the uploads root.
func (s *Service) runFile(rawPath string) (io.ReadCloser, error) {
	rel, ok := strings.CutPrefix(rawPath, uploadsDir+"/")
	if !ok {
		return nil, fmt.Errorf("raw path %q is outside the upload directory", rawPath)
	}
	return s.root.Open(rel)
}

// staleTemp is the age after which a temporary upload file belongs to an upload that died
// with its process; live uploads write to theirs continuously.
const staleTemp = 6 * time.Hour

// removeStaleTemp deletes temporary files of uploads cut off by a crash.
func (s *Service) removeStaleTemp(ctx context.Context) {
	dir, err := s.root.Open(tmpDir)
	if err != nil {
		return
	}
	defer dir.Close()
	ents, err := dir.ReadDir(-1)
	if err != nil {
		return
	}
	cutoff := s.now().Add(-staleTemp)
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".part") || info.ModTime().After(cutoff) {
			continue
		}
		if err := s.root.Remove(tmpDir + "/" + e.Name()); err == nil {
			s.cfg.Logger.InfoContext(ctx, "removed an abandoned upload", "file", e.Name())
		}
	}
}
