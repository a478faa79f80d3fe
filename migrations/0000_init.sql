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
	FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
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
CREATE TABLE `attempts` (
	`id` text NOT NULL,
	`event_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`started_at` text NOT NULL,
	`duration_ms` integer NOT NULL,
	`http_status_code` integer NOT NULL,
	`response_body` text NOT NULL,
	`error_message` text NOT NULL,
	PRIMARY KEY(`event_id`, `attempt`),
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`webhook_id` text NOT NULL,
	`message_id` text NOT NULL,
	`type` text NOT NULL,
	`delivery_status` text NOT NULL,
	`delivery_attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer NOT NULL,
	`http_status_code` integer DEFAULT 0 NOT NULL,
	`error_message` text DEFAULT '' NOT NULL,
	`next_attempt_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`webhook_id`) REFERENCES `webhooks`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_message_webhook_unique` ON `events` (`message_id`,`webhook_id`);--> statement-breakpoint
CREATE INDEX `events_webhook_idx` ON `events` (`webhook_id`,`id`);--> statement-breakpoint
CREATE INDEX `events_failed_idx` ON `events` (`webhook_id`,`id`) WHERE delivery_status = 'failed';--> statement-breakpoint
CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`application_id` text NOT NULL,
	`event_type` text NOT NULL,
	`payload` text NOT NULL,
	`idempotency_key` text,
	`resource_type` text,
	`resource_id` text,
	`created_at` text NOT NULL,
	`dispatched_at` text,
	FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `messages_idempotency_unique` ON `messages` (`application_id`,`idempotency_key`) WHERE idempotency_key IS NOT NULL;--> statement-breakpoint
CREATE INDEX `messages_undispatched_idx` ON `messages` (`created_at`) WHERE dispatched_at IS NULL;--> statement-breakpoint
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
	`secret` text NOT NULL,
	`previous_secret` text,
	`previous_secret_expires_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhooks_application_idx` ON `webhooks` (`application_id`,`id`);