package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AuditLog records one administrative action: who did what to whom, why, and from where.
// Rows are append-only and hash-chained: each row's hash covers the previous row's hash and
// its own fields, so `mis audit verify` finds any row edited, deleted or reordered.
type AuditLog struct{ ent.Schema }

// Fields of AuditLog.
func (AuditLog) Fields() []ent.Field {
	return []ent.Field{
		// Position in the chain, from 1, without gaps; unique so two writers racing for the
		// same position cannot both append.
		field.Int64("seq").Unique().Immutable().Positive(),
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
		// Hex SHA-256 of the previous row (empty for the first) and of this row.
		field.String("prev_hash").Default("").MaxLen(64).Immutable(),
		field.String("hash").NotEmpty().MaxLen(64).Immutable(),
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
