-- suppression.added is the seed's recipient_blocklist.added: stored events, deliveries and subscriptions take the
-- new name (the old one stays accepted as an alias where clients name event types).
update events set type = 'recipient_blocklist.added' where type = 'suppression.added';
update webhook_deliveries set event_type = 'recipient_blocklist.added' where event_type = 'suppression.added';
update webhooks set enabled_events = array_replace(enabled_events, 'suppression.added', 'recipient_blocklist.added')
  where 'suppression.added' = any(enabled_events);
