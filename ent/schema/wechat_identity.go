package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// WeChatIdentity is one (appid, openid) pair WeChat vouched for. The pair identifies; the
// unionid, when WeChat gives one, merges one person's identities across apps. Nothing
// unverified (nickname, avatar) ever links identities.
type WeChatIdentity struct{ ent.Schema }

// Mixin of WeChatIdentity.
func (WeChatIdentity) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of WeChatIdentity.
func (WeChatIdentity) Fields() []ent.Field {
	return []ent.Field{
		// oa: Official Account; website: Open Platform website app; miniprogram; wecom: a
		// WeCom member, whose appid is the corp id and openid the member's userid.
		field.Enum("kind").Values("oa", "website", "miniprogram", "wecom"),
		field.String("appid").NotEmpty().MaxLen(64),
		field.String("openid").NotEmpty().MaxLen(128),
		field.String("unionid").Optional().Nillable().MaxLen(128),
		field.String("nickname").Default("").MaxLen(128),
		field.String("avatar_url").Default("").MaxLen(1024),
		field.Bool("subscribed").Default(false),
		field.Time("subscribed_at").Optional().Nillable(),
		field.Time("unsubscribed_at").Optional().Nillable(),
		// Set when policy asks an admin to review the identity (e.g. after unsubscribe).
		field.Bool("flagged").Default(false),
		field.Time("last_seen_at").Optional().Nillable(),
	}
}

// Edges of WeChatIdentity.
func (WeChatIdentity) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("identities").Unique().Required(),
	}
}

// Indexes of WeChatIdentity.
func (WeChatIdentity) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("appid", "openid").Unique(),
		index.Fields("unionid"),
		index.Fields("openid"),
	}
}
