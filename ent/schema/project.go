package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Project groups the runs of one system under test. Restricted projects are seen only by
// their members (and by managers and admins, who see everything); the others by every
// active user.
type Project struct{ ent.Schema }

// Mixin of Project.
func (Project) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of Project.
func (Project) Fields() []ent.Field {
	return []ent.Field{
		// The short name used in URLs, the API and `mis upload --project`.
		field.String("key").Unique().NotEmpty().MaxLen(64),
		field.String("name").NotEmpty().MaxLen(200),
		field.String("description").Default("").MaxLen(2000),
		// APDEX thresholds: a sample is satisfied at or below T, tolerated up to F.
		field.Int("apdex_satisfied_ms").Default(500).NonNegative(),
		field.Int("apdex_tolerated_ms").Default(1500).NonNegative(),
		// A comparison flags a label as regressed when a percentile grows by more than
		// regression_pct percent, or its error rate by more than regression_error_pts points,
		// and both runs have at least regression_min_count samples of it.
		field.Float("regression_pct").Default(10),
		field.Float("regression_error_pts").Default(1),
		field.Int("regression_min_count").Default(100).NonNegative(),
		// SLA rules, one `mis report stats --sla` expression per line.
		field.Text("sla_rules").Default(""),
		// The run comparisons default to; a plain column so deleting the run can clear it.
		field.Int("baseline_run_id").Optional().Nillable(),
		field.Bool("restricted").Default(false),
	}
}

// Edges of Project.
func (Project) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("runs", Run.Type),
		edge.To("members", User.Type),
	}
}
