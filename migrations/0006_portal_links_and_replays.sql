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
ALTER TABLE `api_keys` ADD `expires_at` text;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `kind` text DEFAULT 'api_key' NOT NULL;--> statement-breakpoint
CREATE INDEX `api_keys_portal_expiry_idx` ON `api_keys` (`expires_at`) WHERE kind = 'portal_link';