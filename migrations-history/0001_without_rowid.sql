-- Custom migration (drizzle-kit cannot declare WITHOUT ROWID): each
-- partition table made again keyed by its primary key alone, so that a row
-- costs one write and no index entry of its own (src/db/history-schema.ts).
-- The tables are empty here. test/integration/migrations.test.ts checks that
-- every partition table is WITHOUT ROWID with the columns of the schema.
DROP TABLE `events_0`;
--> statement-breakpoint
CREATE TABLE `events_0` (
	`webhook` blob NOT NULL,
	`id` blob NOT NULL,
	`message` blob NOT NULL,
	`type` text NOT NULL,
	`status` integer NOT NULL,
	`attempts` integer NOT NULL,
	`max_attempts` integer NOT NULL,
	`http` integer NOT NULL,
	`error` text NOT NULL,
	`created` integer NOT NULL,
	`updated` integer NOT NULL,
	`log` text NOT NULL,
	PRIMARY KEY(`webhook`, `id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `events_0_failed_idx` ON `events_0` (`webhook`,`id`) WHERE status = 1;
--> statement-breakpoint
DROP TABLE `events_1`;
--> statement-breakpoint
CREATE TABLE `events_1` (
	`webhook` blob NOT NULL,
	`id` blob NOT NULL,
	`message` blob NOT NULL,
	`type` text NOT NULL,
	`status` integer NOT NULL,
	`attempts` integer NOT NULL,
	`max_attempts` integer NOT NULL,
	`http` integer NOT NULL,
	`error` text NOT NULL,
	`created` integer NOT NULL,
	`updated` integer NOT NULL,
	`log` text NOT NULL,
	PRIMARY KEY(`webhook`, `id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `events_1_failed_idx` ON `events_1` (`webhook`,`id`) WHERE status = 1;
--> statement-breakpoint
DROP TABLE `events_2`;
--> statement-breakpoint
CREATE TABLE `events_2` (
	`webhook` blob NOT NULL,
	`id` blob NOT NULL,
	`message` blob NOT NULL,
	`type` text NOT NULL,
	`status` integer NOT NULL,
	`attempts` integer NOT NULL,
	`max_attempts` integer NOT NULL,
	`http` integer NOT NULL,
	`error` text NOT NULL,
	`created` integer NOT NULL,
	`updated` integer NOT NULL,
	`log` text NOT NULL,
	PRIMARY KEY(`webhook`, `id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `events_2_failed_idx` ON `events_2` (`webhook`,`id`) WHERE status = 1;
--> statement-breakpoint
DROP TABLE `events_3`;
--> statement-breakpoint
CREATE TABLE `events_3` (
	`webhook` blob NOT NULL,
	`id` blob NOT NULL,
	`message` blob NOT NULL,
	`type` text NOT NULL,
	`status` integer NOT NULL,
	`attempts` integer NOT NULL,
	`max_attempts` integer NOT NULL,
	`http` integer NOT NULL,
	`error` text NOT NULL,
	`created` integer NOT NULL,
	`updated` integer NOT NULL,
	`log` text NOT NULL,
	PRIMARY KEY(`webhook`, `id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `events_3_failed_idx` ON `events_3` (`webhook`,`id`) WHERE status = 1;
--> statement-breakpoint
DROP TABLE `events_4`;
--> statement-breakpoint
CREATE TABLE `events_4` (
	`webhook` blob NOT NULL,
	`id` blob NOT NULL,
	`message` blob NOT NULL,
	`type` text NOT NULL,
	`status` integer NOT NULL,
	`attempts` integer NOT NULL,
	`max_attempts` integer NOT NULL,
	`http` integer NOT NULL,
	`error` text NOT NULL,
	`created` integer NOT NULL,
	`updated` integer NOT NULL,
	`log` text NOT NULL,
	PRIMARY KEY(`webhook`, `id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `events_4_failed_idx` ON `events_4` (`webhook`,`id`) WHERE status = 1;
--> statement-breakpoint
DROP TABLE `events_5`;
--> statement-breakpoint
CREATE TABLE `events_5` (
	`webhook` blob NOT NULL,
	`id` blob NOT NULL,
	`message` blob NOT NULL,
	`type` text NOT NULL,
	`status` integer NOT NULL,
	`attempts` integer NOT NULL,
	`max_attempts` integer NOT NULL,
	`http` integer NOT NULL,
	`error` text NOT NULL,
	`created` integer NOT NULL,
	`updated` integer NOT NULL,
	`log` text NOT NULL,
	PRIMARY KEY(`webhook`, `id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `events_5_failed_idx` ON `events_5` (`webhook`,`id`) WHERE status = 1;
--> statement-breakpoint
DROP TABLE `events_6`;
--> statement-breakpoint
CREATE TABLE `events_6` (
	`webhook` blob NOT NULL,
	`id` blob NOT NULL,
	`message` blob NOT NULL,
	`type` text NOT NULL,
	`status` integer NOT NULL,
	`attempts` integer NOT NULL,
	`max_attempts` integer NOT NULL,
	`http` integer NOT NULL,
	`error` text NOT NULL,
	`created` integer NOT NULL,
	`updated` integer NOT NULL,
	`log` text NOT NULL,
	PRIMARY KEY(`webhook`, `id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `events_6_failed_idx` ON `events_6` (`webhook`,`id`) WHERE status = 1;
--> statement-breakpoint
DROP TABLE `events_7`;
--> statement-breakpoint
CREATE TABLE `events_7` (
	`webhook` blob NOT NULL,
	`id` blob NOT NULL,
	`message` blob NOT NULL,
	`type` text NOT NULL,
	`status` integer NOT NULL,
	`attempts` integer NOT NULL,
	`max_attempts` integer NOT NULL,
	`http` integer NOT NULL,
	`error` text NOT NULL,
	`created` integer NOT NULL,
	`updated` integer NOT NULL,
	`log` text NOT NULL,
	PRIMARY KEY(`webhook`, `id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `events_7_failed_idx` ON `events_7` (`webhook`,`id`) WHERE status = 1;
--> statement-breakpoint
DROP TABLE `messages_0`;
--> statement-breakpoint
CREATE TABLE `messages_0` (
	`id` blob PRIMARY KEY NOT NULL,
	`application` blob NOT NULL,
	`type` text NOT NULL,
	`idempotency_key` text,
	`resource_type` text,
	`resource_id` text,
	`created` integer NOT NULL,
	`webhooks` blob NOT NULL,
	`payload_object` blob NOT NULL,
	`payload_offset` integer NOT NULL,
	`payload_length` integer NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
DROP TABLE `messages_1`;
--> statement-breakpoint
CREATE TABLE `messages_1` (
	`id` blob PRIMARY KEY NOT NULL,
	`application` blob NOT NULL,
	`type` text NOT NULL,
	`idempotency_key` text,
	`resource_type` text,
	`resource_id` text,
	`created` integer NOT NULL,
	`webhooks` blob NOT NULL,
	`payload_object` blob NOT NULL,
	`payload_offset` integer NOT NULL,
	`payload_length` integer NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
DROP TABLE `messages_2`;
--> statement-breakpoint
CREATE TABLE `messages_2` (
	`id` blob PRIMARY KEY NOT NULL,
	`application` blob NOT NULL,
	`type` text NOT NULL,
	`idempotency_key` text,
	`resource_type` text,
	`resource_id` text,
	`created` integer NOT NULL,
	`webhooks` blob NOT NULL,
	`payload_object` blob NOT NULL,
	`payload_offset` integer NOT NULL,
	`payload_length` integer NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
DROP TABLE `messages_3`;
--> statement-breakpoint
CREATE TABLE `messages_3` (
	`id` blob PRIMARY KEY NOT NULL,
	`application` blob NOT NULL,
	`type` text NOT NULL,
	`idempotency_key` text,
	`resource_type` text,
	`resource_id` text,
	`created` integer NOT NULL,
	`webhooks` blob NOT NULL,
	`payload_object` blob NOT NULL,
	`payload_offset` integer NOT NULL,
	`payload_length` integer NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
DROP TABLE `messages_4`;
--> statement-breakpoint
CREATE TABLE `messages_4` (
	`id` blob PRIMARY KEY NOT NULL,
	`application` blob NOT NULL,
	`type` text NOT NULL,
	`idempotency_key` text,
	`resource_type` text,
	`resource_id` text,
	`created` integer NOT NULL,
	`webhooks` blob NOT NULL,
	`payload_object` blob NOT NULL,
	`payload_offset` integer NOT NULL,
	`payload_length` integer NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
DROP TABLE `messages_5`;
--> statement-breakpoint
CREATE TABLE `messages_5` (
	`id` blob PRIMARY KEY NOT NULL,
	`application` blob NOT NULL,
	`type` text NOT NULL,
	`idempotency_key` text,
	`resource_type` text,
	`resource_id` text,
	`created` integer NOT NULL,
	`webhooks` blob NOT NULL,
	`payload_object` blob NOT NULL,
	`payload_offset` integer NOT NULL,
	`payload_length` integer NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
DROP TABLE `messages_6`;
--> statement-breakpoint
CREATE TABLE `messages_6` (
	`id` blob PRIMARY KEY NOT NULL,
	`application` blob NOT NULL,
	`type` text NOT NULL,
	`idempotency_key` text,
	`resource_type` text,
	`resource_id` text,
	`created` integer NOT NULL,
	`webhooks` blob NOT NULL,
	`payload_object` blob NOT NULL,
	`payload_offset` integer NOT NULL,
	`payload_length` integer NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
DROP TABLE `messages_7`;
--> statement-breakpoint
CREATE TABLE `messages_7` (
	`id` blob PRIMARY KEY NOT NULL,
	`application` blob NOT NULL,
	`type` text NOT NULL,
	`idempotency_key` text,
	`resource_type` text,
	`resource_id` text,
	`created` integer NOT NULL,
	`webhooks` blob NOT NULL,
	`payload_object` blob NOT NULL,
	`payload_offset` integer NOT NULL,
	`payload_length` integer NOT NULL
) WITHOUT ROWID;
