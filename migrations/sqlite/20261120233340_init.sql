-- +goose Up
-- create "audit_logs" table
CREATE TABLE `audit_logs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `actor_label` text NOT NULL DEFAULT (''), `action` text NOT NULL, `target_type` text NOT NULL DEFAULT (''), `target_id` text NOT NULL DEFAULT (''), `reason` text NOT NULL DEFAULT (''), `detail` text NOT NULL DEFAULT (''), `ip` text NOT NULL DEFAULT (''), `user_audit_logs` integer NULL, CONSTRAINT `audit_logs_users_audit_logs` FOREIGN KEY (`user_audit_logs`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- create index "auditlog_created_at" to table: "audit_logs"
CREATE INDEX `auditlog_created_at` ON `audit_logs` (`created_at`);
-- create index "auditlog_action_created_at" to table: "audit_logs"
CREATE INDEX `auditlog_action_created_at` ON `audit_logs` (`action`, `created_at`);
-- create index "auditlog_target_type_target_id" to table: "audit_logs"
CREATE INDEX `auditlog_target_type_target_id` ON `audit_logs` (`target_type`, `target_id`);
-- create "login_logs" table
CREATE TABLE `login_logs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `method` text NOT NULL, `outcome` text NOT NULL, `reason` text NOT NULL DEFAULT (''), `subject` text NOT NULL DEFAULT (''), `ip` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), `browser` text NOT NULL DEFAULT (''), `os` text NOT NULL DEFAULT (''), `user_login_logs` integer NULL, CONSTRAINT `login_logs_users_login_logs` FOREIGN KEY (`user_login_logs`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- create index "loginlog_created_at" to table: "login_logs"
CREATE INDEX `loginlog_created_at` ON `login_logs` (`created_at`);
-- create index "loginlog_created_at_user_login_logs" to table: "login_logs"
CREATE INDEX `loginlog_created_at_user_login_logs` ON `login_logs` (`created_at`, `user_login_logs`);
-- create index "loginlog_method_created_at" to table: "login_logs"
CREATE INDEX `loginlog_method_created_at` ON `login_logs` (`method`, `created_at`);
-- create index "loginlog_outcome_created_at" to table: "login_logs"
CREATE INDEX `loginlog_outcome_created_at` ON `login_logs` (`outcome`, `created_at`);
-- create index "loginlog_ip" to table: "login_logs"
CREATE INDEX `loginlog_ip` ON `login_logs` (`ip`);
-- create "phone_bindings" table
CREATE TABLE `phone_bindings` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `phone` text NOT NULL, `verified_at` datetime NULL, `source` text NOT NULL, `user_phones` integer NOT NULL, CONSTRAINT `phone_bindings_users_phones` FOREIGN KEY (`user_phones`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- create index "phone_bindings_phone_key" to table: "phone_bindings"
CREATE UNIQUE INDEX `phone_bindings_phone_key` ON `phone_bindings` (`phone`);
-- create "sessions" table
CREATE TABLE `sessions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `id_hash` text NOT NULL, `created_at` datetime NOT NULL, `last_seen_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `ip` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), `method` text NOT NULL, `revoked_at` datetime NULL, `revoked_by` integer NULL, `revoked_reason` text NOT NULL DEFAULT (''), `user_sessions` integer NOT NULL, CONSTRAINT `sessions_users_sessions` FOREIGN KEY (`user_sessions`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- create index "sessions_id_hash_key" to table: "sessions"
CREATE UNIQUE INDEX `sessions_id_hash_key` ON `sessions` (`id_hash`);
-- create index "session_revoked_at_expires_at" to table: "sessions"
CREATE INDEX `session_revoked_at_expires_at` ON `sessions` (`revoked_at`, `expires_at`);
-- create index "session_last_seen_at" to table: "sessions"
CREATE INDEX `session_last_seen_at` ON `sessions` (`last_seen_at`);
-- create index "session_revoked_at_user_sessions" to table: "sessions"
CREATE INDEX `session_revoked_at_user_sessions` ON `sessions` (`revoked_at`, `user_sessions`);
-- create "users" table
CREATE TABLE `users` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `status` text NOT NULL DEFAULT ('pending'), `role` text NOT NULL DEFAULT ('employee'), `display_name` text NOT NULL DEFAULT (''), `avatar_url` text NOT NULL DEFAULT (''), `email` text NULL, `password_hash` text NULL, `registered_method` text NOT NULL DEFAULT (''), `registered_ip` text NOT NULL DEFAULT (''), `decided_by` integer NULL, `decided_at` datetime NULL, `decision_reason` text NOT NULL DEFAULT (''), `last_login_at` datetime NULL);
-- create index "users_email_key" to table: "users"
CREATE UNIQUE INDEX `users_email_key` ON `users` (`email`);
-- create index "user_status_created_at" to table: "users"
CREATE INDEX `user_status_created_at` ON `users` (`status`, `created_at`);
-- create index "user_role" to table: "users"
CREATE INDEX `user_role` ON `users` (`role`);
-- create index "user_display_name" to table: "users"
CREATE INDEX `user_display_name` ON `users` (`display_name`);
-- create "we_chat_identities" table
CREATE TABLE `we_chat_identities` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `appid` text NOT NULL, `openid` text NOT NULL, `unionid` text NULL, `nickname` text NOT NULL DEFAULT (''), `avatar_url` text NOT NULL DEFAULT (''), `subscribed` bool NOT NULL DEFAULT (false), `subscribed_at` datetime NULL, `unsubscribed_at` datetime NULL, `flagged` bool NOT NULL DEFAULT (false), `last_seen_at` datetime NULL, `user_identities` integer NOT NULL, CONSTRAINT `we_chat_identities_users_identities` FOREIGN KEY (`user_identities`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- create index "wechatidentity_appid_openid" to table: "we_chat_identities"
CREATE UNIQUE INDEX `wechatidentity_appid_openid` ON `we_chat_identities` (`appid`, `openid`);
-- create index "wechatidentity_unionid" to table: "we_chat_identities"
CREATE INDEX `wechatidentity_unionid` ON `we_chat_identities` (`unionid`);
-- create index "wechatidentity_openid" to table: "we_chat_identities"
CREATE INDEX `wechatidentity_openid` ON `we_chat_identities` (`openid`);

-- +goose Down
-- reverse: create index "wechatidentity_openid" to table: "we_chat_identities"
DROP INDEX `wechatidentity_openid`;
-- reverse: create index "wechatidentity_unionid" to table: "we_chat_identities"
DROP INDEX `wechatidentity_unionid`;
-- reverse: create index "wechatidentity_appid_openid" to table: "we_chat_identities"
DROP INDEX `wechatidentity_appid_openid`;
-- reverse: create "we_chat_identities" table
DROP TABLE `we_chat_identities`;
-- reverse: create index "user_display_name" to table: "users"
DROP INDEX `user_display_name`;
-- reverse: create index "user_role" to table: "users"
DROP INDEX `user_role`;
-- reverse: create index "user_status_created_at" to table: "users"
DROP INDEX `user_status_created_at`;
-- reverse: create index "users_email_key" to table: "users"
DROP INDEX `users_email_key`;
-- reverse: create "users" table
DROP TABLE `users`;
-- reverse: create index "session_revoked_at_user_sessions" to table: "sessions"
DROP INDEX `session_revoked_at_user_sessions`;
-- reverse: create index "session_last_seen_at" to table: "sessions"
DROP INDEX `session_last_seen_at`;
-- reverse: create index "session_revoked_at_expires_at" to table: "sessions"
DROP INDEX `session_revoked_at_expires_at`;
-- reverse: create index "sessions_id_hash_key" to table: "sessions"
DROP INDEX `sessions_id_hash_key`;
-- reverse: create "sessions" table
DROP TABLE `sessions`;
-- reverse: create index "phone_bindings_phone_key" to table: "phone_bindings"
DROP INDEX `phone_bindings_phone_key`;
-- reverse: create "phone_bindings" table
DROP TABLE `phone_bindings`;
-- reverse: create index "loginlog_ip" to table: "login_logs"
DROP INDEX `loginlog_ip`;
-- reverse: create index "loginlog_outcome_created_at" to table: "login_logs"
DROP INDEX `loginlog_outcome_created_at`;
-- reverse: create index "loginlog_method_created_at" to table: "login_logs"
DROP INDEX `loginlog_method_created_at`;
-- reverse: create index "loginlog_created_at_user_login_logs" to table: "login_logs"
DROP INDEX `loginlog_created_at_user_login_logs`;
-- reverse: create index "loginlog_created_at" to table: "login_logs"
DROP INDEX `loginlog_created_at`;
-- reverse: create "login_logs" table
DROP TABLE `login_logs`;
-- reverse: create index "auditlog_target_type_target_id" to table: "audit_logs"
DROP INDEX `auditlog_target_type_target_id`;
-- reverse: create index "auditlog_action_created_at" to table: "audit_logs"
DROP INDEX `auditlog_action_created_at`;
-- reverse: create index "auditlog_created_at" to table: "audit_logs"
DROP INDEX `auditlog_created_at`;
-- reverse: create "audit_logs" table
DROP TABLE `audit_logs`;
