-- Custom migration (drizzle-kit cannot say it): the columns that the next,
-- generated, migration keeps, filled from the history as it was.
ALTER TABLE `events` ADD `first_attempt` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `webhook_ids` text;--> statement-breakpoint
-- The first attempt moves into its event's row.
UPDATE `events` SET `first_attempt` = (
  SELECT json_object('id', a.id, 'attempt', a.attempt, 'startedAt', a.started_at,
    'durationMs', a.duration_ms, 'httpStatusCode', a.http_status_code,
    'responseBody', a.response_body, 'errorMessage', a.error_message)
  FROM `attempts` a WHERE a.event_id = `events`.id AND a.attempt = 1
);--> statement-breakpoint
DELETE FROM `attempts` WHERE `attempt` = 1;--> statement-breakpoint
-- A message fanned out names its webhooks; one not yet fanned out keeps NULL,
-- which the consumer treats as "accepted by an earlier version, fan it out".
UPDATE `messages` SET `webhook_ids` = (
  SELECT json_group_array(e.webhook_id) FROM `events` e WHERE e.message_id = `messages`.id
) WHERE `dispatched_at` IS NOT NULL;
