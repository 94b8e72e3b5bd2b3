-- The inbound firewall (issue 5): a per-mailbox sender allowlist (null or empty: off), beside the account's
-- inbound blocklist; both decided before the MailPolicy.
alter table mailboxes add column inbound_sender_allowlist text[];
