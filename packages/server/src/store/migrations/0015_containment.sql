-- Containment (issue 10). A message that cannot be processed ends in state 'failed' with the reason, instead of
-- blocking its mailbox; events about mail kept from agents (quarantined, blocked, failed) are for admins only;
-- pending mail is claimed per account (fair scheduling), so the claim needs the account in the index.
alter table messages add column process_error text;
alter table events add column admin_only boolean not null default false;
create index messages_pending_account on messages (account_id, arrival) where state = 'received';
create index messages_failed on messages (mailbox_id) where state = 'failed';
