// Package ent holds the generated data-access code; the schemas live in ./schema.
package ent

//go:generate go tool ent generate --feature sql/versioned-migration,sql/upsert,sql/execquery ./schema
