CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`scope` text NOT NULL,
	`application_id` text,
	`allowed_ips` text,
	`key_hash` text NOT NULL,
	`key_prefix` text NOT NULL,
	`last_used_at` text,
	`created_at` text NOT NULL,
	`expires_at` text,
	`kind` text DEFAULT 'api_key' NOT NULL,
	FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_portal_expiry_idx` ON `api_keys` (`expires_at`) WHERE kind = 'portal_link';--> statement-breakpoint
CREATE INDEX `api_keys_application_idx` ON `api_keys` (`application_id`,`id`);--> statement-breakpoint
CREATE TABLE `applications` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`uid` text,
	`webhook_limit` integer DEFAULT 10 NOT NULL,
	`metadata` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `applications_uid_unique` ON `applications` (`uid`);--> statement-breakpoint
CREATE TABLE `archive_objects` (
	`key` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`owner` text NOT NULL,
	`slot` integer NOT NULL,
	`id_slot` integer NOT NULL,
	`min_id` text NOT NULL,
	`max_id` text NOT NULL,
	`min_created` integer NOT NULL,
	`max_created` integer NOT NULL,
	`rows` integer NOT NULL,
	`bytes` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `archive_objects_owner_idx` ON `archive_objects` (`owner`,`id_slot`);--> statement-breakpoint
CREATE INDEX `archive_objects_kind_idx` ON `archive_objects` (`kind`,`id_slot`);--> statement-breakpoint
CREATE INDEX `archive_objects_slot_idx` ON `archive_objects` (`slot`);--> statement-breakpoint
CREATE TABLE `event_types` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`schema` text,
	`example` text,
	`deprecated` integer DEFAULT false NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `event_types_name_unique` ON `event_types` (`name`);--> statement-breakpoint
CREATE TABLE `operational_tally` (
	`key` text PRIMARY KEY NOT NULL,
	`application_id` text NOT NULL,
	`window_start` text NOT NULL,
	`type` text NOT NULL,
	`ordinal` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `operational_tally_window_idx` ON `operational_tally` (`window_start`,`application_id`,`ordinal`);--> statement-breakpoint
CREATE TABLE `replays` (
	`id` text PRIMARY KEY NOT NULL,
	`webhook_id` text NOT NULL,
	`application_id` text NOT NULL,
	`selection` text NOT NULL,
	`matched` integer NOT NULL,
	`queued` integer DEFAULT 0 NOT NULL,
	`cursor` text DEFAULT '' NOT NULL,
	`status` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`webhook_id`) REFERENCES `webhooks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `webhooks` (
	`id` text PRIMARY KEY NOT NULL,
	`application_id` text NOT NULL,
	`url` text NOT NULL,
	`name` text,
	`event_types` text NOT NULL,
	`enabled` integer NOT NULL,
	`disabled_reason` text,
	`retry_policy` text NOT NULL,
	`timeout_ms` integer NOT NULL,
	`headers` text NOT NULL,
	`ordering` text NOT NULL,
	`max_in_flight` integer NOT NULL,
	`rate_limit_per_second` integer,
	`payload_format` text NOT NULL,
	`metadata` text NOT NULL,
	`filter` text,
	`secret` text NOT NULL,
	`previous_secret` text,
	`previous_secret_expires_at` text,
	`signature_scheme` text DEFAULT 'v1' NOT NULL,
	`public_key` text,
	`private_key` text,
	`previous_public_key` text,
	`previous_private_key` text,
	`previous_key_expires_at` text,
	`tls_client_certificate` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhooks_application_idx` ON `webhooks` (`application_id`,`id`);