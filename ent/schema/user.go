package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// User is a person who may sign in. New users start pending and see only the pending page
// until an admin approves them.
type User struct{ ent.Schema }

// Mixin of User.
func (User) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("status").Values("pending", "active", "disabled", "rejected").Default("pending"),
		field.Enum("role").Values("employee", "manager", "admin").Default("employee"),
		field.String("display_name").Default("").MaxLen(128),
		field.String("avatar_url").Default("").MaxLen(1024),
		field.String("email").Optional().Nillable().Unique().MaxLen(254),
		// Argon2id PHC string; empty for accounts that only scan in.
		field.String("password_hash").Optional().Sensitive(),
		// Base32 TOTP secret of a break-glass admin (mis user create-admin); its presence is
		// what makes the account break-glass: it signs in only at /breakglass, with a code.
		field.String("totp_secret").Optional().Nillable().Sensitive().MaxLen(64),
		// How and from where the account was first created: the approval queue shows them.
		field.String("registered_method").Default("").MaxLen(32),
		field.String("registered_ip").Default("").MaxLen(64),
		// The latest approval decision: who took it, when, and the reason for a rejection.
		field.Int("decided_by").Optional().Nillable(),
		field.Time("decided_at").Optional().Nillable(),
		field.String("decision_reason").Default("").MaxLen(1024),
		field.Time("last_login_at").Optional().Nillable(),
	}
}

// Edges of User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("identities", WeChatIdentity.Type),
		edge.To("phones", PhoneBinding.Type),
		edge.To("sessions", Session.Type),
		edge.To("login_logs", LoginLog.Type),
		edge.To("audit_logs", AuditLog.Type),
		edge.To("api_tokens", APIToken.Type),
		edge.To("uploads", Run.Type),
		edge.From("projects", Project.Type).Ref("members"),
	}
}

// Indexes of User: the admin screens list by status and role, newest first.
func (User) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status", "created_at"),
		index.Fields("role"),
		index.Fields("display_name"),
	}
}
