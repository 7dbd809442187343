package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// RunBucket is one time slice of a label. Two grids are stored: chart buckets of
// Run.bucket_ms (counters; the overall label's also carry a coarse histogram) and, for
// top-level labels, histogram slices of Run.label_bucket_ms (counters and a coarse
// histogram), which a time-range selection merges into a per-label table.
type RunBucket struct{ ent.Schema }

// Fields of RunBucket.
func (RunBucket) Fields() []ent.Field {
	return []ent.Field{
		field.Int("label_id").Immutable(),
		field.Enum("grid").Values("chart", "slice"),
		field.Int64("start_ms"),
		field.Int64("count"),
		field.Int64("errors"),
		field.Float("sum_ms"),
		field.Float("min_ms"),
		field.Float("max_ms"),
		field.Int64("bytes_recv").Default(0),
		field.Int64("bytes_sent").Default(0),
		field.Int("max_threads").Default(0),
		field.JSON("codes", map[string]int64{}).Optional(),
		field.Bytes("hist").Optional().Nillable(),
	}
}

// Edges of RunBucket.
func (RunBucket) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("label", RunLabel.Type).Ref("buckets").Field("label_id").Unique().Required().Immutable(),
	}
}

// Indexes of RunBucket: charts and selections read one label's grid in time order.
func (RunBucket) Indexes() []ent.Index {
	return []ent.Index{index.Fields("label_id", "grid", "start_ms")}
}
