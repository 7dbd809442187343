-- +goose Up
-- modify "audit_logs" table
ALTER TABLE "audit_logs" ADD COLUMN "seq" bigint NOT NULL, ADD COLUMN "prev_hash" character varying NOT NULL DEFAULT '', ADD COLUMN "hash" character varying NOT NULL;
-- create index "audit_logs_seq_key" to table: "audit_logs"
CREATE UNIQUE INDEX "audit_logs_seq_key" ON "audit_logs" ("seq");

-- +goose Down
-- reverse: create index "audit_logs_seq_key" to table: "audit_logs"
DROP INDEX "audit_logs_seq_key";
-- reverse: modify "audit_logs" table
ALTER TABLE "audit_logs" DROP COLUMN "hash", DROP COLUMN "prev_hash", DROP COLUMN "seq";
