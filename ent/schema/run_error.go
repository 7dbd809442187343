package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// RunError is one of the most frequent errors of a label ("" for the whole run), worded as
// JMeter's dashboard words it. Over bounds how much count may overstate the truth.
type RunError struct{ ent.Schema }

// Fields of RunError.
func (RunError) Fields() []ent.Field {
	return []ent.Field{
		field.Int("run_id").Immutable(),
		field.Text("label"),
		field.Text("key"),
		field.String("code").Default("").MaxLen(200),
		field.Text("message"),
		field.Int64("count"),
		field.Int64("over").Default(0),
	}
}

// Edges of RunError.
func (RunError) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("run", Run.Type).Ref("errors").Field("run_id").Unique().Required().Immutable(),
	}
}

// Indexes of RunError.
func (RunError) Indexes() []ent.Index {
	return []ent.Index{index.Fields("run_id", "label")}
}
