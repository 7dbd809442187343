package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Session mirrors one server-side session so admins can list and revoke it and every node
// sees a revocation on the next request. The session id itself is never stored: only its
// SHA-256, so a database leak does not hand out live sessions.
type Session struct{ ent.Schema }

// Fields of Session.
func (Session) Fields() []ent.Field {
	return []ent.Field{
		// Changes when the session id rotates (privilege change), so the row survives it.
		field.String("id_hash").Unique().NotEmpty().MaxLen(64),
		field.Time("created_at").Default(now).Immutable(),
		field.Time("last_seen_at").Default(now),
		// The absolute end of the session, whatever the activity.
		field.Time("expires_at"),
		field.String("ip").Default("").MaxLen(64),
		field.String("user_agent").Default("").MaxLen(512),
		field.String("method").NotEmpty().MaxLen(32),
		field.Time("revoked_at").Optional().Nillable(),
		field.Int("revoked_by").Optional().Nillable(),
		field.String("revoked_reason").Default("").MaxLen(256),
	}
}

// Edges of Session.
func (Session) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("sessions").Unique().Required(),
	}
}

// Indexes of Session: "online sessions" lists unrevoked, unexpired rows; per user too.
func (Session) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("revoked_at", "expires_at"),
		index.Fields("last_seen_at"),
		index.Edges("user").Fields("revoked_at"),
	}
}
