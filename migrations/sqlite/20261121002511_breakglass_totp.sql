-- +goose Up
-- add column "totp_secret" to table: "users"
ALTER TABLE `users` ADD COLUMN `totp_secret` text NULL;

-- +goose Down
-- reverse: add column "totp_secret" to table: "users"
ALTER TABLE `users` DROP COLUMN `totp_secret`;
