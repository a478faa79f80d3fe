CREATE TABLE `operational_tally` (
	`key` text PRIMARY KEY NOT NULL,
	`application_id` text NOT NULL,
	`window_start` text NOT NULL,
	`type` text NOT NULL,
	`ordinal` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `operational_tally_window_idx` ON `operational_tally` (`window_start`,`application_id`,`ordinal`);--> statement-breakpoint
CREATE INDEX `api_keys_application_idx` ON `api_keys` (`application_id`,`id`);