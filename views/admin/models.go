// Package admin draws the administration screens (approval queue, users, pre-registration,
// online sessions, login log, audit log) and the "my devices" page. Components take the
// plain view models below; every string is already formatted for the locale.
package admin

// Pager is the paging bar of a list.
type Pager struct {
	Page, Pages, Total int
	PrevHref, NextHref string // empty: no such page
}

// Flash is a one-line result message (already translated) above a list.
type Flash struct {
	Kind string // success or error
	Text string
}

// UserLine is one user in the queue or the users list.
type UserLine struct {
	ID        int
	Href      string
	Name      string
	AvatarURL string
	Phones    string
	Status    string // status code: pending, active…
	Role      string
	Method    string
	IP        string
	Created   string
	LastLogin string
	Reason    string
}

// Queue is the approval queue.
type Queue struct {
	Flash *Flash
	Users []UserLine
	Pager Pager
	Roles []string
}

// UserList is the users screen with its filters.
type UserList struct {
	Query, Status, Role string
	Statuses, Roles     []string
	Users               []UserLine
	Pager               Pager
}

// Identity is one WeChat identity on the user page.
type Identity struct {
	ID                      int
	Kind, AppID, OpenID     string
	UnionID, Nickname, Seen string
	Flagged                 bool
}

// Phone is one phone binding on the user page.
type Phone struct {
	ID                      int
	Phone, Source, Verified string
}

// Session is one live session.
type Session struct {
	ID                      int
	UserID                  int
	UserHref, UserName      string
	Method, IP, Browser, OS string
	Created, LastSeen       string
	Current                 bool // the session of this very browser
}

// Login is one line of the login log.
type Login struct {
	Time, UserName, UserHref string
	Method, Outcome, Reason  string
	Subject, IP, Browser, OS string
}

// UserPage is one user's detail page.
type UserPage struct {
	Flash      *Flash
	User       UserLine
	Self       bool // the admin looks at themself: no status or role actions
	Roles      []string
	Identities []Identity
	Phones     []Phone
	Sessions   []Session
	Logins     []Login
	AuditHref  string
}

// ImportLine is one row of a CSV import report.
type ImportLine struct {
	Line   int
	Phone  string
	Name   string
	Added  bool
	Href   string // the new user's page
	Reason string // translated
}

// Prereg is the pre-registration screen, with the report of the last import.
type Prereg struct {
	Flash   *Flash
	Roles   []string
	Report  []ImportLine
	Added   int
	Skipped int
}

// Sessions is the online-sessions screen.
type Sessions struct {
	Flash    *Flash
	Sessions []Session
	Pager    Pager
}

// LoginLog is the login log with its filters.
type LoginLog struct {
	User, Method, Outcome, Reason, IP, From, To string
	Logins                                      []Login
	Pager                                       Pager
	ExportHref                                  string
}

// AuditLine is one line of the audit log.
type AuditLine struct {
	Seq                    int64
	Time, Actor, ActorHref string
	Action, ActionKey      string
	Target, TargetHref     string
	Reason, Detail, IP     string
}

// AuditLog is the audit log with its filters.
type AuditLog struct {
	Actor, Action, Target, From, To string
	Actions                         []string
	Lines                           []AuditLine
	Pager                           Pager
	ExportHref                      string
}

// Devices is the signed-in user's own sessions.
type Devices struct {
	Flash    *Flash
	Sessions []Session
}
