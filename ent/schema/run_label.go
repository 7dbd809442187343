package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// RunLabel is the whole-run summary of one label, or (kind "overall") of every top-level
// sample: what run lists, trends and comparisons read without touching histograms.
type RunLabel struct{ ent.Schema }

// Fields of RunLabel.
func (RunLabel) Fields() []ent.Field {
	return []ent.Field{
		field.Int("run_id").Immutable(),
		field.Text("name"),
		// overall: the run's total row; label: a top-level sampler or transaction;
		// sub: JMeter sub-results; other: further rows a pre-aggregated tool states.
		field.Enum("kind").Values("overall", "label", "sub", "other"),
		field.Bool("transaction").Default(false),
		field.Int64("count"),
		field.Int64("errors"),
		field.Float("sum_ms"),
		field.Float("min_ms"),
		field.Float("max_ms"),
		field.Int64("bytes_recv").Default(0),
		field.Int64("bytes_sent").Default(0),
		field.Int64("first_start_ms").Default(0),
		field.Int64("last_end_ms").Default(0),
		field.Int("max_threads").Default(0),
		field.Float("throughput_per_s").Default(0),
		// Nearest-rank percentiles from hist_all, or the tool's stated ones; null when unknown.
		field.Float("p50_ms").Optional().Nillable(),
		field.Float("p90_ms").Optional().Nillable(),
		field.Float("p95_ms").Optional().Nillable(),
		field.Float("p99_ms").Optional().Nillable(),
		// Pre-aggregated formats: every percentile the tool stated ("99.9" → ms) and "mean"
		// (k6 states means without a count, so sum_ms/count cannot give it).
		field.JSON("stated", map[string]float64{}).Optional(),
		field.JSON("codes", map[string]int64{}).Optional(),
		// agg.Hist encodings of every sample and of the successful ones; null when pre-aggregated.
		field.Bytes("hist_all").Optional().Nillable(),
		field.Bytes("hist_ok").Optional().Nillable(),
	}
}

// Edges of RunLabel.
func (RunLabel) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("run", Run.Type).Ref("labels").Field("run_id").Unique().Required().Immutable(),
		edge.To("buckets", RunBucket.Type),
	}
}

// Indexes of RunLabel.
func (RunLabel) Indexes() []ent.Index {
	return []ent.Index{index.Fields("run_id", "kind")}
}
