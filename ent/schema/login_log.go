package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// LoginLog records every sign-in attempt, successful or not. Rows are never updated.
type LoginLog struct{ ent.Schema }

// Fields of LoginLog.
func (LoginLog) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(now).Immutable(),
		// oa_qr, own_qr, oa_oauth, website_qr, miniprogram, wecom, phone_code, password, breakglass.
		field.String("method").NotEmpty().MaxLen(32).Immutable(),
		field.Enum("outcome").Values("success", "failure").Immutable(),
		// Machine-readable cause: pending_approval, disabled, qr_expired, state_mismatch, wechat_40163…
		field.String("reason").Default("").MaxLen(64).Immutable(),
		// Who tried when no user is known: a masked phone, an openid, an account name.
		field.String("subject").Default("").MaxLen(128).Immutable(),
		field.String("ip").Default("").MaxLen(64).Immutable(),
		field.String("user_agent").Default("").MaxLen(512).Immutable(),
		field.String("browser").Default("").MaxLen(64).Immutable(),
		field.String("os").Default("").MaxLen(64).Immutable(),
	}
}

// Edges of LoginLog.
func (LoginLog) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("login_logs").Unique().Immutable(),
	}
}

// Indexes of LoginLog: the log screen filters by time, user, method, outcome and IP.
func (LoginLog) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("created_at"),
		index.Edges("user").Fields("created_at"),
		index.Fields("method", "created_at"),
		index.Fields("outcome", "created_at"),
		index.Fields("ip"),
	}
}
