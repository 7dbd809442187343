package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// RunCase is one JUnit test case of a run. case_key (parse.JUnitCase.Key) identifies the
// test across runs for flaky detection.
type RunCase struct{ ent.Schema }

// Fields of RunCase.
func (RunCase) Fields() []ent.Field {
	return []ent.Field{
		field.Int("run_id").Immutable(),
		field.String("case_key").MaxLen(64),
		field.Text("suite"),
		field.Text("classname"),
		field.Text("name"),
		field.Enum("status").Values("passed", "failed", "errored", "skipped"),
		field.Float("duration_ms").Default(0),
		field.Text("message").Default(""),
		field.Text("type").Default(""),
		field.Text("detail").Default(""),
		field.Bool("flaky").Default(false),
		field.Text("file").Default(""),
		field.Int("line").Default(0),
	}
}

// Edges of RunCase.
func (RunCase) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("run", Run.Type).Ref("cases").Field("run_id").Unique().Required().Immutable(),
	}
}

// Indexes of RunCase.
func (RunCase) Indexes() []ent.Index {
	return []ent.Index{index.Fields("run_id", "case_key")}
}
