package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// APIToken is a personal token for the API and `mis upload`. Only the SHA-256 of the token
// is stored; prefix (its first characters) lets the owner tell tokens apart.
type APIToken struct{ ent.Schema }

// Fields of APIToken.
func (APIToken) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("name").NotEmpty().MaxLen(100),
		field.String("prefix").NotEmpty().MaxLen(16).Immutable(),
		field.String("token_hash").Unique().NotEmpty().MaxLen(64).Immutable().Sensitive(),
		// What the token may do, e.g. ["upload"].
		field.Strings("scopes"),
		field.Time("created_at").Default(now).Immutable(),
		field.Time("last_used_at").Optional().Nillable(),
		field.Time("expires_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

// Edges of APIToken.
func (APIToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("api_tokens").Field("user_id").Unique().Required().Immutable(),
	}
}

// Indexes of APIToken: the profile page lists a user's tokens.
func (APIToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id")}
}
