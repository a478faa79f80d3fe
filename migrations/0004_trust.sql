ALTER TABLE `webhooks` ADD `signature_scheme` text DEFAULT 'v1' NOT NULL;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `public_key` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `private_key` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `previous_public_key` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `previous_private_key` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `previous_key_expires_at` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `tls_client_certificate` text;