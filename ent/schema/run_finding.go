package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// RunFinding is one instance of a security finding (ZAP, SARIF) in a run, carrying its
// rule's fields. Comparing the fingerprints of two scans gives new, fixed and still-open.
type RunFinding struct{ ent.Schema }

// Fields of RunFinding.
func (RunFinding) Fields() []ent.Field {
	return []ent.Field{
		field.Int("run_id").Immutable(),
		field.String("fingerprint").MaxLen(128),
		field.String("tool").Default("").MaxLen(200),
		field.String("rule_id").Default("").MaxLen(500),
		field.Text("rule_name").Default(""),
		field.String("risk").MaxLen(16),
		field.String("confidence").Default("").MaxLen(16),
		field.Int("cwe").Default(0),
		field.Text("uri").Default(""),
		field.String("method").Default("").MaxLen(16),
		field.Text("param").Default(""),
		field.Text("attack").Default(""),
		field.Text("evidence").Default(""),
		field.Text("file").Default(""),
		field.Int("line").Default(0),
		field.Text("message").Default(""),
		field.Text("description").Default(""),
		field.Text("solution").Default(""),
		field.Text("reference").Default(""),
		field.Bool("suppressed").Default(false),
	}
}

// Edges of RunFinding.
func (RunFinding) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("run", Run.Type).Ref("findings").Field("run_id").Unique().Required().Immutable(),
	}
}

// Indexes of RunFinding.
func (RunFinding) Indexes() []ent.Index {
	return []ent.Index{index.Fields("run_id", "fingerprint")}
}
