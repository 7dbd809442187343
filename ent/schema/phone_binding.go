package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// PhoneBinding ties an E.164 phone number to a user. A number belongs to one user at most.
// An admin's pre-registration creates an unverified binding; the first verified sign-in
// with that number joins the account.
type PhoneBinding struct{ ent.Schema }

// Mixin of PhoneBinding.
func (PhoneBinding) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of PhoneBinding.
func (PhoneBinding) Fields() []ent.Field {
	return []ent.Field{
		field.String("phone").Unique().NotEmpty().MaxLen(16),
		field.Time("verified_at").Optional().Nillable(),
		field.Enum("source").Values("sms", "miniprogram", "wecom", "preregistered"),
	}
}

// Edges of PhoneBinding.
func (PhoneBinding) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("phones").Unique().Required(),
	}
}
