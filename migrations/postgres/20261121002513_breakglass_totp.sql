-- +goose Up
-- modify "users" table
ALTER TABLE "users" ADD COLUMN "totp_secret" character varying NULL;

-- +goose Down
-- reverse: modify "users" table
ALTER TABLE "users" DROP COLUMN "totp_secret";
