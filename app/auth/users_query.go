package auth

import (
	"context"
	"strings"
	"time"

	"scanboard/app/apperr"
	"scanboard/ent"
	"scanboard/ent/loginlog"
	"scanboard/ent/phonebinding"
	"scanboard/ent/predicate"
	"scanboard/ent/user"
	"scanboard/ent/wechatidentity"
)

// Paging limits of the admin lists.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// Page is a 1-based page number and size; zero values mean the first page of
// DefaultPageSize.
type Page struct {
	Number int
	Size   int
}

// Limit is the page size, clamped to 1…MaxPageSize.
func (p Page) Limit() int {
	switch {
	case p.Size <= 0:
		return DefaultPageSize
	case p.Size > MaxPageSize:
		return MaxPageSize
	}
	return p.Size
}

// Offset is the number of rows before the page.
func (p Page) Offset() int {
	if p.Number <= 1 {
		return 0
	}
	return (p.Number - 1) * p.Limit()
}

// UserFilter narrows the users list. Query matches the name, a phone, an openid or a
// unionid.
type UserFilter struct {
	Query  string
	Status user.Status // empty: any
	Role   user.Role   // empty: any
	Page   Page
}

// UserRow is one line of the users list and the approval queue.
type UserRow struct {
	ID        int
	Name      string
	AvatarURL string
	Status    user.Status
	Role      user.Role
	Phones    []string // masked
	Method    string   // how the account was first created
	IP        string   // from where
	Created   time.Time
	LastLogin *time.Time
	Reason    string // the decision reason (rejections)
}

func (f UserFilter) predicates() []predicate.User {
	var ps []predicate.User
	if f.Status != "" {
		ps = append(ps, user.StatusEQ(f.Status))
	}
	if f.Role != "" {
		ps = append(ps, user.RoleEQ(f.Role))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		or := []predicate.User{
			user.DisplayNameContainsFold(q),
			user.HasIdentitiesWith(wechatidentity.Or(wechatidentity.Openid(q), wechatidentity.Unionid(q))),
			user.HasPhonesWith(phonebinding.PhoneContains(strings.TrimPrefix(q, "+"))),
		}
		if p, err := parseAdminPhone(q); err == nil {
			or = append(or, user.HasPhonesWith(phonebinding.Phone(p)))
		}
		ps = append(ps, user.Or(or...))
	}
	return ps
}

// List returns a page of users matching f, newest first, and the total count.
func (u *Users) List(ctx context.Context, f UserFilter) ([]UserRow, int, error) {
	const op = "auth.Users.List"
	q := u.db.User.Query().Where(f.predicates()...)
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, apperr.E(op, apperr.Unavailable, err)
	}
	rows, err := q.WithPhones().Order(ent.Desc(user.FieldCreatedAt), ent.Desc(user.FieldID)).
		Offset(f.Page.Offset()).Limit(f.Page.Limit()).All(ctx)
	if err != nil {
		return nil, 0, apperr.E(op, apperr.Unavailable, err)
	}
	out := make([]UserRow, len(rows))
	for i, r := range rows {
		out[i] = userRow(r)
	}
	return out, total, nil
}

// Pending is the approval queue: waiting users, oldest first (first come, first served).
func (u *Users) Pending(ctx context.Context, p Page) ([]UserRow, int, error) {
	const op = "auth.Users.Pending"
	q := u.db.User.Query().Where(user.StatusEQ(user.StatusPending))
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, apperr.E(op, apperr.Unavailable, err)
	}
	rows, err := q.WithPhones().WithIdentities().Order(ent.Asc(user.FieldCreatedAt), ent.Asc(user.FieldID)).
		Offset(p.Offset()).Limit(p.Limit()).All(ctx)
	if err != nil {
		return nil, 0, apperr.E(op, apperr.Unavailable, err)
	}
	out := make([]UserRow, len(rows))
	for i, r := range rows {
		out[i] = userRow(r)
		if out[i].Name == "" || out[i].AvatarURL == "" {
			for _, idn := range r.Edges.Identities {
				if out[i].Name == "" {
					out[i].Name = idn.Nickname
				}
				if out[i].AvatarURL == "" {
					out[i].AvatarURL = idn.AvatarURL
				}
			}
		}
	}
	return out, total, nil
}

func userRow(r *ent.User) UserRow {
	row := UserRow{ID: r.ID, Name: r.DisplayName, AvatarURL: r.AvatarURL, Status: r.Status, Role: r.Role,
		Method: r.RegisteredMethod, IP: r.RegisteredIP, Created: r.CreatedAt, LastLogin: r.LastLoginAt,
		Reason: r.DecisionReason}
	for _, p := range r.Edges.Phones {
		row.Phones = append(row.Phones, MaskPhone(p.Phone))
	}
	return row
}

// IdentityRow is one WeChat identity on the user detail page.
type IdentityRow struct {
	ID       int
	Kind     string
	AppID    string
	OpenID   string
	UnionID  string
	Nickname string
	Flagged  bool
	LastSeen *time.Time
	Created  time.Time
}

// PhoneRow is one phone binding on the user detail page.
type PhoneRow struct {
	ID       int
	Phone    string // masked
	Source   string
	Verified *time.Time
}

// UserDetail is everything the user detail page shows.
type UserDetail struct {
	UserRow
	Identities []IdentityRow
	Phones     []PhoneRow
	Sessions   []SessionInfo
	Logins     []LoginRow
}

// Detail reads one user with identities, phones, live sessions and recent sign-ins.
func (u *Users) Detail(ctx context.Context, id int) (*UserDetail, error) {
	const op = "auth.Users.Detail"
	r, err := u.db.User.Query().Where(user.ID(id)).WithPhones().WithIdentities().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.E(op, apperr.NotFound, errNoUser, err)
	}
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	d := &UserDetail{UserRow: userRow(r)}
	for _, i := range r.Edges.Identities {
		ir := IdentityRow{ID: i.ID, Kind: string(i.Kind), AppID: i.Appid, OpenID: i.Openid, Nickname: i.Nickname,
			Flagged: i.Flagged, LastSeen: i.LastSeenAt, Created: i.CreatedAt}
		if i.Unionid != nil {
			ir.UnionID = *i.Unionid
		}
		d.Identities = append(d.Identities, ir)
	}
	for _, p := range r.Edges.Phones {
		d.Phones = append(d.Phones, PhoneRow{ID: p.ID, Phone: MaskPhone(p.Phone), Source: string(p.Source), Verified: p.VerifiedAt})
	}
	if d.Sessions, _, err = u.OnlineSessions(ctx, SessionFilter{UserID: id, Page: Page{Size: MaxPageSize}}); err != nil {
		return nil, err
	}
	if d.Logins, _, err = u.LoginLog(ctx, LoginFilter{UserID: id, Page: Page{Size: 20}}); err != nil {
		return nil, err
	}
	return d, nil
}

// LoginFilter narrows the login log.
type LoginFilter struct {
	UserID  int
	Method  string
	Outcome string // success or failure
	Reason  string
	IP      string
	From    time.Time // inclusive; zero: open
	To      time.Time // exclusive; zero: open
	Page    Page
}

// LoginRow is one line of the login log.
type LoginRow struct {
	ID        int
	Time      time.Time
	UserID    int
	UserName  string
	Method    string
	Outcome   string
	Reason    string
	Subject   string
	IP        string
	Browser   string
	OS        string
	UserAgent string
}

func (f LoginFilter) predicates() []predicate.LoginLog {
	var ps []predicate.LoginLog
	if f.UserID != 0 {
		ps = append(ps, loginlog.HasUserWith(user.ID(f.UserID)))
	}
	if f.Method != "" {
		ps = append(ps, loginlog.Method(f.Method))
	}
	if f.Outcome != "" {
		ps = append(ps, loginlog.OutcomeEQ(loginlog.Outcome(f.Outcome)))
	}
	if f.Reason != "" {
		ps = append(ps, loginlog.Reason(f.Reason))
	}
	if f.IP != "" {
		ps = append(ps, loginlog.IP(f.IP))
	}
	if !f.From.IsZero() {
		ps = append(ps, loginlog.CreatedAtGTE(f.From.UTC()))
	}
	if !f.To.IsZero() {
		ps = append(ps, loginlog.CreatedAtLT(f.To.UTC()))
	}
	return ps
}

// LoginLog returns a page of the login log, newest first, and the total count.
func (u *Users) LoginLog(ctx context.Context, f LoginFilter) ([]LoginRow, int, error) {
	const op = "auth.Users.LoginLog"
	if f.Outcome != "" && loginlog.OutcomeValidator(loginlog.Outcome(f.Outcome)) != nil {
		return nil, 0, apperr.E(op, apperr.Invalid, "unknown outcome "+f.Outcome)
	}
	q := u.db.LoginLog.Query().Where(f.predicates()...)
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, apperr.E(op, apperr.Unavailable, err)
	}
	rows, err := q.WithUser().Order(ent.Desc(loginlog.FieldCreatedAt), ent.Desc(loginlog.FieldID)).
		Offset(f.Page.Offset()).Limit(f.Page.Limit()).All(ctx)
	if err != nil {
		return nil, 0, apperr.E(op, apperr.Unavailable, err)
	}
	out := make([]LoginRow, len(rows))
	for i, r := range rows {
		out[i] = loginRow(r)
	}
	return out, total, nil
}

func loginRow(r *ent.LoginLog) LoginRow {
	lr := LoginRow{ID: r.ID, Time: r.CreatedAt, Method: r.Method, Outcome: string(r.Outcome), Reason: r.Reason,
		Subject: r.Subject, IP: r.IP, Browser: r.Browser, OS: r.Os, UserAgent: r.UserAgent}
	if u := r.Edges.User; u != nil {
		lr.UserID, lr.UserName = u.ID, u.DisplayName
	}
	return lr
}

// exportBatch is how many rows an export reads at a time: exports of any size stream in
// constant memory.
const exportBatch = 500

// EachLogin calls fn for every login-log row matching f (paging ignored), newest first, in
// batches keyed on id so rows added meanwhile neither repeat nor shift the walk.
func (u *Users) EachLogin(ctx context.Context, f LoginFilter, fn func(LoginRow) error) error {
	const op = "auth.Users.EachLogin"
	before := 0
	for {
		q := u.db.LoginLog.Query().Where(f.predicates()...)
		if before != 0 {
			q.Where(loginlog.IDLT(before))
		}
		rows, err := q.WithUser().Order(ent.Desc(loginlog.FieldID)).Limit(exportBatch).All(ctx)
		if err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		for _, r := range rows {
			if err := fn(loginRow(r)); err != nil {
				return err
			}
		}
		if len(rows) < exportBatch {
			return nil
		}
		before = rows[len(rows)-1].ID
	}
}
