// Package migrations embeds the versioned SQL migrations, one folder per dialect. The files
// are generated from the ent schema by ./gen and applied at start-up by app/store.
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql in goose format.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
