-- Custom migration (drizzle-kit cannot say it): the columns that the next,
-- generated, migration keeps, filled from the history as it was.
ALTER TABLE `events` ADD `attempt_log` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `webhook_ids` text;--> statement-breakpoint
-- An event's attempts move into its row, oldest first.
UPDATE `events` SET `attempt_log` = coalesce((
  SELECT json_group_array(json(a.record)) FROM (
    SELECT json_object('id', id, 'attempt', attempt, 'startedAt', started_at,
      'durationMs', duration_ms, 'httpStatusCode', http_status_code,
      'responseBody', response_body, 'errorMessage', error_message) AS record
    FROM `attempts` WHERE event_id = `events`.id ORDER BY attempt
  ) a
), '[]');--> statement-breakpoint
-- A message fanned out names its webhooks; one not yet fanned out keeps NULL,
-- which the consumer treats as "accepted by an earlier version, fan it out".
UPDATE `messages` SET `webhook_ids` = (
  SELECT json_group_array(e.webhook_id) FROM `events` e WHERE e.message_id = `messages`.id
) WHERE `dispatched_at` IS NOT NULL;
