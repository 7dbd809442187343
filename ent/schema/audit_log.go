package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AuditLog records one administrative action: who did what to whom, why, and from where.
// Rows are append-only.
type AuditLog struct{ ent.Schema }

// Fields of AuditLog.
func (AuditLog) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(now).Immutable(),
		// Shown when the actor is not a user (the CLI, the system) or no longer exists.
		field.String("actor_label").Default("").MaxLen(128).Immutable(),
		field.String("action").NotEmpty().MaxLen(64).Immutable(),
		field.String("target_type").Default("").MaxLen(32).Immutable(),
		field.String("target_id").Default("").MaxLen(64).Immutable(),
		field.String("reason").Default("").MaxLen(1024).Immutable(),
		// JSON with the before/after state or other specifics of the action.
		field.Text("detail").Default("").Immutable(),
		field.String("ip").Default("").MaxLen(64).Immutable(),
	}
}

// Edges of AuditLog.
func (AuditLog) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("actor", User.Type).Ref("audit_logs").Unique().Immutable(),
	}
}

// Indexes of AuditLog.
func (AuditLog) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("created_at"),
		index.Fields("action", "created_at"),
		index.Fields("target_type", "target_id"),
	}
}
