DROP TABLE `attempts`;--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_events` (
	`webhook_id` text NOT NULL,
	`id` text NOT NULL,
	`message_id` text NOT NULL,
	`type` text NOT NULL,
	`delivery_status` text NOT NULL,
	`delivery_attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer NOT NULL,
	`http_status_code` integer DEFAULT 0 NOT NULL,
	`error_message` text DEFAULT '' NOT NULL,
	`next_attempt_at` text,
	`attempt_log` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`webhook_id`, `id`)
);
--> statement-breakpoint
INSERT INTO `__new_events`("webhook_id", "id", "message_id", "type", "delivery_status", "delivery_attempts", "max_attempts", "http_status_code", "error_message", "next_attempt_at", "attempt_log", "created_at", "updated_at") SELECT "webhook_id", "id", "message_id", "type", "delivery_status", "delivery_attempts", "max_attempts", "http_status_code", "error_message", "next_attempt_at", "attempt_log", "created_at", "updated_at" FROM `events`;--> statement-breakpoint
DROP TABLE `events`;--> statement-breakpoint
ALTER TABLE `__new_events` RENAME TO `events`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `events_failed_idx` ON `events` (`webhook_id`,`id`) WHERE delivery_status = 'failed';--> statement-breakpoint
CREATE TABLE `__new_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`application_id` text NOT NULL,
	`event_type` text NOT NULL,
	`payload` text NOT NULL,
	`idempotency_key` text,
	`resource_type` text,
	`resource_id` text,
	`created_at` text NOT NULL,
	`webhook_ids` text
);
--> statement-breakpoint
INSERT INTO `__new_messages`("id", "application_id", "event_type", "payload", "idempotency_key", "resource_type", "resource_id", "created_at", "webhook_ids") SELECT "id", "application_id", "event_type", "payload", "idempotency_key", "resource_type", "resource_id", "created_at", "webhook_ids" FROM `messages`;--> statement-breakpoint
DROP TABLE `messages`;--> statement-breakpoint
ALTER TABLE `__new_messages` RENAME TO `messages`;