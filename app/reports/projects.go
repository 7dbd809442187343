package reports

import (
	"context"
	"fmt"
	"regexp"
	"scanboard/ent/predicate"
	"strings"

	"scanboard/app/apperr"
	"scanboard/ent"
	"scanboard/ent/project"
	"scanboard/ent/user"
)

// Viewer is who is asking: managers and admins see every project, other active users the
// unrestricted ones and those they are members of.
type Viewer struct {
	UserID int
	Role   string // user.Role: employee, manager or admin
}

// SeesAll reports whether v may see every project.
func (v Viewer) SeesAll() bool {
	return v.Role == string(user.RoleManager) || v.Role == string(user.RoleAdmin)
}

// ViewerOf loads the viewer for an active user; other users are Forbidden.
func (s *Service) ViewerOf(ctx context.Context, userID int) (Viewer, error) {
	const op = "reports.ViewerOf"
	u, err := s.db.User.Get(ctx, userID)
	if ent.IsNotFound(err) {
		return Viewer{}, apperr.E(op, apperr.Unauthorized, apperr.Key("error.unauthorized"), "no such user")
	}
	if err != nil {
		return Viewer{}, apperr.E(op, apperr.Unavailable, err)
	}
	if u.Status != user.StatusActive {
		return Viewer{}, apperr.E(op, apperr.Forbidden, apperr.Key("error.forbidden"), fmt.Sprintf("user %d is %s", u.ID, u.Status))
	}
	return Viewer{UserID: u.ID, Role: string(u.Role)}, nil
}

// visible narrows a project query to what v may see.
func visible(v Viewer) func(*ent.ProjectQuery) *ent.ProjectQuery {
	return func(q *ent.ProjectQuery) *ent.ProjectQuery {
		if v.SeesAll() {
			return q
		}
		return q.Where(project.Or(project.Restricted(false), project.HasMembersWith(user.ID(v.UserID))))
	}
}

// ProjectInput is what CreateProject needs; zero thresholds take the schema defaults.
type ProjectInput struct {
	Key, Name, Description string
	Restricted             bool
	SLARules               string // one rule per line, as `mis report stats --sla`
	MemberIDs              []int
}

var projectKeyRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// CreateProject adds a project. The key must be lower-case letters, digits, '-' or '_'.
func (s *Service) CreateProject(ctx context.Context, in ProjectInput) (*ent.Project, error) {
	const op = "reports.CreateProject"
	if !projectKeyRE.MatchString(in.Key) {
		return nil, apperr.E(op, apperr.Invalid, apperr.Key("error.project_key"),
			fmt.Sprintf("project key %q: use 1–64 lower-case letters, digits, '-' or '_'", in.Key))
	}
	if strings.TrimSpace(in.Name) == "" {
		in.Name = in.Key
	}
	if err := checkRules(in.SLARules); err != nil {
		return nil, apperr.E(op, apperr.Invalid, apperr.Key("error.sla_rule"), err)
	}
	p, err := s.db.Project.Create().SetKey(in.Key).SetName(in.Name).SetDescription(in.Description).
		SetRestricted(in.Restricted).SetSLARules(in.SLARules).AddMemberIDs(in.MemberIDs...).Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, apperr.E(op, apperr.Conflict, apperr.Key("error.project_exists"), fmt.Sprintf("a project with key %q exists", in.Key))
	}
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	return p, nil
}

// ListProjects returns the projects v may see, by key.
func (s *Service) ListProjects(ctx context.Context, v Viewer) ([]*ent.Project, error) {
	ps, err := visible(v)(s.db.Project.Query()).Order(ent.Asc(project.FieldKey)).All(ctx)
	if err != nil {
		return nil, apperr.E("reports.ListProjects", apperr.Unavailable, err)
	}
	return ps, nil
}

// Project returns the project with this key if v may see it, else NotFound (an invisible
// project and a missing one look the same).
func (s *Service) Project(ctx context.Context, v Viewer, key string) (*ent.Project, error) {
	const op = "reports.Project"
	p, err := visible(v)(s.db.Project.Query()).Where(project.Key(key)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.E(op, apperr.NotFound, apperr.Key("error.project_not_found"), fmt.Sprintf("no project %q", key))
	}
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	return p, nil
}

func userIs(id int) predicateUser { return user.ID(id) }

type predicateUser = predicate.User
