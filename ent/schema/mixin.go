// Package schema declares Scanboard's entities for ent. Generated code lives one level up;
// the versioned SQL migrations generated from these schemas live in /migrations.
package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

// TimeMixin gives an entity created_at and updated_at, both in UTC.
type TimeMixin struct{ mixin.Schema }

// Fields of TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(now).Immutable(),
		field.Time("updated_at").Default(now).UpdateDefault(now),
	}
}

func now() time.Time { return time.Now().UTC() }
