-- +goose Up
-- create index "run_user_uploads" to table: "runs"
CREATE INDEX "run_user_uploads" ON "runs" ("user_uploads");

-- +goose Down
-- reverse: create index "run_user_uploads" to table: "runs"
DROP INDEX "run_user_uploads";
