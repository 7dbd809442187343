-- +goose Up
-- create "api_tokens" table
CREATE TABLE `api_tokens` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `name` text NOT NULL, `prefix` text NOT NULL, `token_hash` text NOT NULL, `scopes` json NOT NULL, `created_at` datetime NOT NULL, `last_used_at` datetime NULL, `expires_at` datetime NULL, `revoked_at` datetime NULL, `user_id` integer NOT NULL, CONSTRAINT `api_tokens_users_api_tokens` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- create index "api_tokens_token_hash_key" to table: "api_tokens"
CREATE UNIQUE INDEX `api_tokens_token_hash_key` ON `api_tokens` (`token_hash`);
-- create index "apitoken_user_id" to table: "api_tokens"
CREATE INDEX `apitoken_user_id` ON `api_tokens` (`user_id`);
-- create "projects" table
CREATE TABLE `projects` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `key` text NOT NULL, `name` text NOT NULL, `description` text NOT NULL DEFAULT (''), `apdex_satisfied_ms` integer NOT NULL DEFAULT (500), `apdex_tolerated_ms` integer NOT NULL DEFAULT (1500), `regression_pct` real NOT NULL DEFAULT (10), `regression_error_pts` real NOT NULL DEFAULT (1), `regression_min_count` integer NOT NULL DEFAULT (100), `sla_rules` text NOT NULL DEFAULT (''), `baseline_run_id` integer NULL, `restricted` bool NOT NULL DEFAULT (false));
-- create index "projects_key_key" to table: "projects"
CREATE UNIQUE INDEX `projects_key_key` ON `projects` (`key`);
-- create "runs" table
CREATE TABLE `runs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `source_format` text NOT NULL, `status` text NOT NULL DEFAULT ('queued'), `progress` integer NOT NULL DEFAULT (0), `error` text NOT NULL DEFAULT (''), `original_filename` text NOT NULL DEFAULT (''), `content_sha256` text NOT NULL, `raw_path` text NOT NULL, `raw_size` integer NOT NULL DEFAULT (0), `stored_size` integer NOT NULL DEFAULT (0), `tag_build` text NOT NULL DEFAULT (''), `tag_commit` text NOT NULL DEFAULT (''), `tag_env` text NOT NULL DEFAULT (''), `started_ms` integer NOT NULL DEFAULT (0), `ended_ms` integer NOT NULL DEFAULT (0), `duration_ms` integer NOT NULL DEFAULT (0), `sample_count` integer NOT NULL DEFAULT (0), `error_count` integer NOT NULL DEFAULT (0), `bucket_ms` integer NOT NULL DEFAULT (0), `label_bucket_ms` integer NOT NULL DEFAULT (0), `pre_aggregated` bool NOT NULL DEFAULT (false), `meta` json NULL, `totals` json NULL, `sla_verdict` text NOT NULL DEFAULT (''), `sla_detail` text NOT NULL DEFAULT (''), `claim_token` text NOT NULL DEFAULT (''), `lease_until` datetime NULL, `attempts` integer NOT NULL DEFAULT (0), `processed_at` datetime NULL, `project_id` integer NOT NULL, `user_uploads` integer NULL, CONSTRAINT `runs_projects_runs` FOREIGN KEY (`project_id`) REFERENCES `projects` (`id`) ON DELETE NO ACTION, CONSTRAINT `runs_users_uploads` FOREIGN KEY (`user_uploads`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- create index "run_project_id_content_sha256" to table: "runs"
CREATE UNIQUE INDEX `run_project_id_content_sha256` ON `runs` (`project_id`, `content_sha256`);
-- create index "run_status_lease_until" to table: "runs"
CREATE INDEX `run_status_lease_until` ON `runs` (`status`, `lease_until`);
-- create index "run_project_id_created_at" to table: "runs"
CREATE INDEX `run_project_id_created_at` ON `runs` (`project_id`, `created_at`);
-- create "run_buckets" table
CREATE TABLE `run_buckets` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `grid` text NOT NULL, `start_ms` integer NOT NULL, `count` integer NOT NULL, `errors` integer NOT NULL, `sum_ms` real NOT NULL, `min_ms` real NOT NULL, `max_ms` real NOT NULL, `bytes_recv` integer NOT NULL DEFAULT (0), `bytes_sent` integer NOT NULL DEFAULT (0), `max_threads` integer NOT NULL DEFAULT (0), `codes` json NULL, `hist` blob NULL, `label_id` integer NOT NULL, CONSTRAINT `run_buckets_run_labels_buckets` FOREIGN KEY (`label_id`) REFERENCES `run_labels` (`id`) ON DELETE NO ACTION);
-- create index "runbucket_label_id_grid_start_ms" to table: "run_buckets"
CREATE INDEX `runbucket_label_id_grid_start_ms` ON `run_buckets` (`label_id`, `grid`, `start_ms`);
-- create "run_cases" table
CREATE TABLE `run_cases` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `case_key` text NOT NULL, `suite` text NOT NULL, `classname` text NOT NULL, `name` text NOT NULL, `status` text NOT NULL, `duration_ms` real NOT NULL DEFAULT (0), `message` text NOT NULL DEFAULT (''), `type` text NOT NULL DEFAULT (''), `detail` text NOT NULL DEFAULT (''), `flaky` bool NOT NULL DEFAULT (false), `file` text NOT NULL DEFAULT (''), `line` integer NOT NULL DEFAULT (0), `run_id` integer NOT NULL, CONSTRAINT `run_cases_runs_cases` FOREIGN KEY (`run_id`) REFERENCES `runs` (`id`) ON DELETE NO ACTION);
-- create index "runcase_run_id_case_key" to table: "run_cases"
CREATE INDEX `runcase_run_id_case_key` ON `run_cases` (`run_id`, `case_key`);
-- create "run_errors" table
CREATE TABLE `run_errors` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `label` text NOT NULL, `key` text NOT NULL, `code` text NOT NULL DEFAULT (''), `message` text NOT NULL, `count` integer NOT NULL, `over` integer NOT NULL DEFAULT (0), `run_id` integer NOT NULL, CONSTRAINT `run_errors_runs_errors` FOREIGN KEY (`run_id`) REFERENCES `runs` (`id`) ON DELETE NO ACTION);
-- create index "runerror_run_id_label" to table: "run_errors"
CREATE INDEX `runerror_run_id_label` ON `run_errors` (`run_id`, `label`);
-- create "run_findings" table
CREATE TABLE `run_findings` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `fingerprint` text NOT NULL, `tool` text NOT NULL DEFAULT (''), `rule_id` text NOT NULL DEFAULT (''), `rule_name` text NOT NULL DEFAULT (''), `risk` text NOT NULL, `confidence` text NOT NULL DEFAULT (''), `cwe` integer NOT NULL DEFAULT (0), `uri` text NOT NULL DEFAULT (''), `method` text NOT NULL DEFAULT (''), `param` text NOT NULL DEFAULT (''), `attack` text NOT NULL DEFAULT (''), `evidence` text NOT NULL DEFAULT (''), `file` text NOT NULL DEFAULT (''), `line` integer NOT NULL DEFAULT (0), `message` text NOT NULL DEFAULT (''), `description` text NOT NULL DEFAULT (''), `solution` text NOT NULL DEFAULT (''), `reference` text NOT NULL DEFAULT (''), `suppressed` bool NOT NULL DEFAULT (false), `run_id` integer NOT NULL, CONSTRAINT `run_findings_runs_findings` FOREIGN KEY (`run_id`) REFERENCES `runs` (`id`) ON DELETE NO ACTION);
-- create index "runfinding_run_id_fingerprint" to table: "run_findings"
CREATE INDEX `runfinding_run_id_fingerprint` ON `run_findings` (`run_id`, `fingerprint`);
-- create "run_labels" table
CREATE TABLE `run_labels` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `name` text NOT NULL, `kind` text NOT NULL, `transaction` bool NOT NULL DEFAULT (false), `count` integer NOT NULL, `errors` integer NOT NULL, `sum_ms` real NOT NULL, `min_ms` real NOT NULL, `max_ms` real NOT NULL, `bytes_recv` integer NOT NULL DEFAULT (0), `bytes_sent` integer NOT NULL DEFAULT (0), `first_start_ms` integer NOT NULL DEFAULT (0), `last_end_ms` integer NOT NULL DEFAULT (0), `max_threads` integer NOT NULL DEFAULT (0), `throughput_per_s` real NOT NULL DEFAULT (0), `p50_ms` real NULL, `p90_ms` real NULL, `p95_ms` real NULL, `p99_ms` real NULL, `stated` json NULL, `codes` json NULL, `hist_all` blob NULL, `hist_ok` blob NULL, `run_id` integer NOT NULL, CONSTRAINT `run_labels_runs_labels` FOREIGN KEY (`run_id`) REFERENCES `runs` (`id`) ON DELETE NO ACTION);
-- create index "runlabel_run_id_kind" to table: "run_labels"
CREATE INDEX `runlabel_run_id_kind` ON `run_labels` (`run_id`, `kind`);
-- create "project_members" table
CREATE TABLE `project_members` (`project_id` integer NOT NULL, `user_id` integer NOT NULL, PRIMARY KEY (`project_id`, `user_id`), CONSTRAINT `project_members_project_id` FOREIGN KEY (`project_id`) REFERENCES `projects` (`id`) ON DELETE CASCADE, CONSTRAINT `project_members_user_id` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);

-- +goose Down
-- reverse: create "project_members" table
DROP TABLE `project_members`;
-- reverse: create index "runlabel_run_id_kind" to table: "run_labels"
DROP INDEX `runlabel_run_id_kind`;
-- reverse: create "run_labels" table
DROP TABLE `run_labels`;
-- reverse: create index "runfinding_run_id_fingerprint" to table: "run_findings"
DROP INDEX `runfinding_run_id_fingerprint`;
-- reverse: create "run_findings" table
DROP TABLE `run_findings`;
-- reverse: create index "runerror_run_id_label" to table: "run_errors"
DROP INDEX `runerror_run_id_label`;
-- reverse: create "run_errors" table
DROP TABLE `run_errors`;
-- reverse: create index "runcase_run_id_case_key" to table: "run_cases"
DROP INDEX `runcase_run_id_case_key`;
-- reverse: create "run_cases" table
DROP TABLE `run_cases`;
-- reverse: create index "runbucket_label_id_grid_start_ms" to table: "run_buckets"
DROP INDEX `runbucket_label_id_grid_start_ms`;
-- reverse: create "run_buckets" table
DROP TABLE `run_buckets`;
-- reverse: create index "run_project_id_created_at" to table: "runs"
DROP INDEX `run_project_id_created_at`;
-- reverse: create index "run_status_lease_until" to table: "runs"
DROP INDEX `run_status_lease_until`;
-- reverse: create index "run_project_id_content_sha256" to table: "runs"
DROP INDEX `run_project_id_content_sha256`;
-- reverse: create "runs" table
DROP TABLE `runs`;
-- reverse: create index "projects_key_key" to table: "projects"
DROP INDEX `projects_key_key`;
-- reverse: create "projects" table
DROP TABLE `projects`;
-- reverse: create index "apitoken_user_id" to table: "api_tokens"
DROP INDEX `apitoken_user_id`;
-- reverse: create index "api_tokens_token_hash_key" to table: "api_tokens"
DROP INDEX `api_tokens_token_hash_key`;
-- reverse: create "api_tokens" table
DROP TABLE `api_tokens`;
