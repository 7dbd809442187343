package reports

import (
	"context"
	"database/sql"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

	"scanboard/app/apperr"
	"scanboard/ent"
	"scanboard/ent/predicate"
	"scanboard/ent/run"
)

// usage is what one user's uploads keep on the server, counted against the quotas.
type usage struct {
	Files int   // stored uploads (runs), whatever their status
	Bytes int64 // their raw files on disk, gzip-compressed as kept
}

// usageOf adds up the runs userID uploaded.
func (s *Service) usageOf(ctx context.Context, userID int) (usage, error) {
	var rows []struct {
		Count int           `sql:"count"`
		Sum   sql.NullInt64 `sql:"sum"`
	}
	err := s.db.Run.Query().Where(uploadedBy(userID)).
		Aggregate(ent.Count(), ent.Sum(run.FieldStoredSize)).Scan(ctx, &rows)
	if err != nil {
		return usage{}, apperr.E("reports.usageOf", apperr.Unavailable, err)
	}
	if len(rows) != 1 {
		return usage{}, apperr.E("reports.usageOf", apperr.Internal, fmt.Sprintf("%d aggregate rows", len(rows)))
	}
	return usage{Files: rows[0].Count, Bytes: rows[0].Sum.Int64}, nil
}

// uploadedBy matches the runs of one uploader on the runs table's own column, without the
// join of run.HasUploaderWith.
func uploadedBy(userID int) predicate.Run {
	return func(s *entsql.Selector) { s.Where(entsql.EQ(s.C(run.UploaderColumn), userID)) }
}

// checkQuota refuses (FILE-03) a new upload of size stored bytes that would take its
// uploader past Config.QuotaFiles or Config.QuotaBytes. It runs once the file is spooled
// and known not to be a duplicate (which costs nothing), and before it is kept. Two uploads
// of one user racing each other may both pass: the overshoot is at most one upload each.
func (s *Service) checkQuota(ctx context.Context, op string, userID int, name string, stored int64) error {
	if userID == 0 || (s.cfg.QuotaFiles <= 0 && s.cfg.QuotaBytes <= 0) {
		return nil
	}
	u, err := s.usageOf(ctx, userID)
	if err != nil {
		return apperr.E(op, err)
	}
	if q := s.cfg.QuotaFiles; q > 0 && u.Files+1 > q {
		return apperr.E(op, apperr.Forbidden, apperr.Key("error.upload_quota_files"), &Refusal{
			Msg:  fmt.Sprintf("%s was not stored: you have reached the limit of stored uploads per user (%d, MIS_UPLOAD_QUOTA_FILES)", name, q),
			Data: map[string]any{"File": name, "Files": u.Files, "Quota": q},
		})
	}
	if q := s.cfg.QuotaBytes; q > 0 && u.Bytes+stored > q {
		return apperr.E(op, apperr.Forbidden, apperr.Key("error.upload_quota_bytes"), &Refusal{
			Msg: fmt.Sprintf("%s was not stored: your uploads take %s and this one %s more, over your quota of %s (MIS_UPLOAD_QUOTA_BYTES)",
				name, humanBytes(u.Bytes), humanBytes(stored), humanBytes(q)),
			Data: map[string]any{"File": name, "Used": humanBytes(u.Bytes), "Size": humanBytes(stored), "Quota": humanBytes(q)},
		})
	}
	return nil
}
