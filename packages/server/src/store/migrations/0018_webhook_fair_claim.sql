-- Webhook claims rank each account's due deliveries oldest first (fair dispatch across accounts, issue 10):
-- this index hands them over in (account, due time) order without a sort.
create index webhook_deliveries_pending_by_account on webhook_deliveries (account_id, next_attempt_at, id)
  where state = 'pending';
