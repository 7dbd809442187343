// Package ent holds the generated data-access code; the schemas live in ./schema.
package ent

//go:generate go run -mod=mod entgo.io/ent/cmd/ent generate --feature sql/versioned-migration,sql/upsert,sql/execquery ./schema
