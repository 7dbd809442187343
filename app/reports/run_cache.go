package reports

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	lru "github.com/hashicorp/golang-lru/v2"

	"scanboard/ent"
	"scanboard/ent/project"
	"scanboard/ent/run"
	"scanboard/ent/user"
)

// Every report page starts by loading its run with the project and the uploader: three
// queries through ent. runCache keeps those rows per run and, on each call, checks them
// with one joined query that also applies the viewer's visibility: the run's, the
// project's and the uploader's updated_at (every write through ent sets it) must be what
// was cached, or the rows are loaded afresh. Nothing is ever served without that check, so
// a change made on another node is seen on the very next request, as before.
type runCache struct {
	rows *lru.Cache[int, *cachedRun]
	// The stamps query, built once: for viewers who see every project (argument: the run
	// id) and for the others (run id, user id; ent writes the boolean inline).
	allSQL, memberSQL string
}

type cachedRun struct {
	run                   *ent.Run
	runAt, projAt, userAt time.Time
}

func newRunCache(dialect string, size int) *runCache {
	c, _ := lru.New[int, *cachedRun](size) // New fails only for a size ≤ 0
	all, _ := stampsQuery(dialect, false).Query()
	member, args := stampsQuery(dialect, true).Query()
	if len(args) != 2 || args[0] != runArg || args[1] != userArg {
		panic(fmt.Sprintf("reports: the stamps query takes %v, not (run id, user id)", args))
	}
	return &runCache{rows: c, allSQL: all, memberSQL: member}
}

// Placeholder arguments, checked against the builder's order once.
const runArg, userArg = -1, -2

// stampsQuery reads the three updated_at values of a run, for a viewer limited to
// unrestricted projects and their own when limited is true.
func stampsQuery(dialect string, limited bool) *entsql.Selector {
	rt := entsql.Table(run.Table).As("r")
	pt := entsql.Table(project.Table).As("p")
	ut := entsql.Table(user.Table).As("u")
	sel := entsql.Dialect(dialect).
		Select(rt.C(run.FieldUpdatedAt), pt.C(project.FieldUpdatedAt), ut.C(user.FieldUpdatedAt)).
		From(rt).
		Join(pt).On(rt.C(run.FieldProjectID), pt.C(project.FieldID)).
		LeftJoin(ut).On(rt.C(run.UploaderColumn), ut.C(user.FieldID)).
		Where(entsql.EQ(rt.C(run.FieldID), runArg))
	if limited {
		sel.Where(entsql.Or(
			entsql.EQ(pt.C(project.FieldRestricted), false),
			entsql.In(pt.C(project.FieldID), entsql.Select(project.MembersPrimaryKey[0]).
				From(entsql.Table(project.MembersTable)).
				Where(entsql.EQ(project.MembersPrimaryKey[1], userArg))),
		))
	}
	return sel
}

// stamps reads the three updated_at values of a run the viewer may see; found is false
// when there is no such run or the viewer may not see it.
func (c *runCache) stamps(ctx context.Context, db *ent.Client, v Viewer, runID int) (st cachedRun, found bool, err error) {
	var rows *sql.Rows
	if v.SeesAll() {
		rows, err = db.QueryContext(ctx, c.allSQL, runID)
	} else {
		rows, err = db.QueryContext(ctx, c.memberSQL, runID, v.UserID)
	}
	if err != nil {
		return st, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return st, false, rows.Err()
	}
	var userAt sql.NullTime
	if err := rows.Scan(&st.runAt, &st.projAt, &userAt); err != nil {
		return st, false, err
	}
	st.userAt = userAt.Time
	return st, true, rows.Close()
}

// get returns a copy of the cached run if its stamps are still st.
func (c *runCache) get(runID int, st cachedRun) (*ent.Run, bool) {
	e, ok := c.rows.Get(runID)
	if !ok || !e.runAt.Equal(st.runAt) || !e.projAt.Equal(st.projAt) || !e.userAt.Equal(st.userAt) {
		return nil, false
	}
	return copyRun(e.run), true
}

// put keeps r, loaded with its project and uploader, under its own updated_at values.
func (c *runCache) put(r *ent.Run) {
	e := &cachedRun{run: copyRun(r), runAt: r.UpdatedAt}
	if p := r.Edges.Project; p != nil {
		e.projAt = p.UpdatedAt
	}
	if u := r.Edges.Uploader; u != nil {
		e.userAt = u.UpdatedAt
	}
	c.rows.Add(r.ID, e)
}

// copyRun copies the run and its two edges, so a caller changing what it got cannot change
// the cache.
func copyRun(r *ent.Run) *ent.Run {
	cp := *r
	if p := r.Edges.Project; p != nil {
		pc := *p
		cp.Edges.Project = &pc
	}
	if u := r.Edges.Uploader; u != nil {
		uc := *u
		cp.Edges.Uploader = &uc
	}
	return &cp
}
