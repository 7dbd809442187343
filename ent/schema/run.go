package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Run is one uploaded result file and what was made of it. Its status moves
// queued → processing → ready | failed; the aggregates hang off it and are written in one
// transaction when processing succeeds, so a failed run has none.
type Run struct{ ent.Schema }

// Mixin of Run.
func (Run) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of Run.
func (Run) Fields() []ent.Field {
	return []ent.Field{
		field.Int("project_id").Immutable(),
		// parse.Format of the file, decided from its content at upload.
		field.String("source_format").NotEmpty().MaxLen(32),
		field.Enum("status").Values("queued", "processing", "ready", "failed").Default("queued"),
		field.Int("progress").Default(0).Min(0).Max(100),
		// Why processing failed, naming the file and line; empty otherwise.
		field.Text("error").Default(""),
		// As the uploader named it: shown, never used as a path.
		field.String("original_filename").Default("").MaxLen(255),
		// SHA-256 (hex) of the decompressed content: re-uploads of the same file are found.
		field.String("content_sha256").NotEmpty().MaxLen(64).Immutable(),
		// Path of the gzip-compressed raw file, relative to the data directory.
		field.String("raw_path").NotEmpty().MaxLen(512).Immutable(),
		field.Int64("raw_size").Default(0),    // decompressed bytes
		field.Int64("stored_size").Default(0), // compressed bytes on disk
		field.String("tag_build").Default("").MaxLen(200),
		field.String("tag_commit").Default("").MaxLen(200),
		field.String("tag_env").Default("").MaxLen(200),
		// Time span of the samples, Unix epoch ms; 0 when the file has none.
		field.Int64("started_ms").Default(0),
		field.Int64("ended_ms").Default(0),
		field.Int64("duration_ms").Default(0),
		field.Int64("sample_count").Default(0),
		field.Int64("error_count").Default(0),
		// Width of the chart buckets and of the per-label histogram slices (run_buckets rows).
		field.Int64("bucket_ms").Default(0),
		field.Int64("label_bucket_ms").Default(0),
		// Pre-aggregated formats (k6 summary, Locust stats, Gatling stats) store the tool's
		// own figures: no histograms, percentiles as stated.
		field.Bool("pre_aggregated").Default(false),
		// How the figures were made, so they can be reproduced: percentile method, whether
		// sub-results and controller rows count, tool totals (JUnit, security, checks).
		field.JSON("meta", map[string]string{}).Optional(),
		field.JSON("totals", map[string]int64{}).Optional(),
		// The project's SLA rules evaluated at processing time: "" (no rules), pass or fail,
		// with one line per rule in sla_detail.
		field.String("sla_verdict").Default("").MaxLen(8),
		field.Text("sla_detail").Default(""),
		// Worker bookkeeping: the current claim, its lease and how often it was claimed. A
		// processing run whose lease ran out belonged to a worker that died; it is queued again.
		field.String("claim_token").Default("").MaxLen(64),
		field.Time("lease_until").Optional().Nillable(),
		field.Int("attempts").Default(0),
		field.Time("processed_at").Optional().Nillable(),
	}
}

// Edges of Run.
func (Run) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("project", Project.Type).Ref("runs").Field("project_id").Unique().Required().Immutable(),
		edge.From("uploader", User.Type).Ref("uploads").Unique(),
		edge.To("labels", RunLabel.Type),
		edge.To("errors", RunError.Type),
		edge.To("cases", RunCase.Type),
		edge.To("findings", RunFinding.Type),
	}
}

// Indexes of Run: one run per content per project; the worker looks for queued and expired
// runs; the project page lists newest first.
func (Run) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("project_id", "content_sha256").Unique(),
		index.Fields("status", "lease_until"),
		index.Fields("project_id", "created_at"),
		// Per-user upload quotas (FILE-03) sum a user's runs on every upload.
		index.Edges("uploader"),
	}
}
