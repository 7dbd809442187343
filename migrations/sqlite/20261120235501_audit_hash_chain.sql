-- +goose Up
-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_audit_logs" table
CREATE TABLE `new_audit_logs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `seq` integer NOT NULL, `created_at` datetime NOT NULL, `actor_label` text NOT NULL DEFAULT (''), `action` text NOT NULL, `target_type` text NOT NULL DEFAULT (''), `target_id` text NOT NULL DEFAULT (''), `reason` text NOT NULL DEFAULT (''), `detail` text NOT NULL DEFAULT (''), `ip` text NOT NULL DEFAULT (''), `prev_hash` text NOT NULL DEFAULT (''), `hash` text NOT NULL, `user_audit_logs` integer NULL, CONSTRAINT `audit_logs_users_audit_logs` FOREIGN KEY (`user_audit_logs`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- copy rows from old table "audit_logs" to new temporary table "new_audit_logs"
INSERT INTO `new_audit_logs` (`id`, `created_at`, `actor_label`, `action`, `target_type`, `target_id`, `reason`, `detail`, `ip`, `user_audit_logs`) SELECT `id`, `created_at`, `actor_label`, `action`, `target_type`, `target_id`, `reason`, `detail`, `ip`, `user_audit_logs` FROM `audit_logs`;
-- drop "audit_logs" table after copying rows
DROP TABLE `audit_logs`;
-- rename temporary table "new_audit_logs" to "audit_logs"
ALTER TABLE `new_audit_logs` RENAME TO `audit_logs`;
-- create index "audit_logs_seq_key" to table: "audit_logs"
CREATE UNIQUE INDEX `audit_logs_seq_key` ON `audit_logs` (`seq`);
-- create index "auditlog_created_at" to table: "audit_logs"
CREATE INDEX `auditlog_created_at` ON `audit_logs` (`created_at`);
-- create index "auditlog_action_created_at" to table: "audit_logs"
CREATE INDEX `auditlog_action_created_at` ON `audit_logs` (`action`, `created_at`);
-- create index "auditlog_target_type_target_id" to table: "audit_logs"
CREATE INDEX `auditlog_target_type_target_id` ON `audit_logs` (`target_type`, `target_id`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;

-- +goose Down
-- reverse: create index "auditlog_target_type_target_id" to table: "audit_logs"
DROP INDEX `auditlog_target_type_target_id`;
-- reverse: create index "auditlog_action_created_at" to table: "audit_logs"
DROP INDEX `auditlog_action_created_at`;
-- reverse: create index "auditlog_created_at" to table: "audit_logs"
DROP INDEX `auditlog_created_at`;
-- reverse: create index "audit_logs_seq_key" to table: "audit_logs"
DROP INDEX `audit_logs_seq_key`;
-- reverse: create "new_audit_logs" table
DROP TABLE `new_audit_logs`;
