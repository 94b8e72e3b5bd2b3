-- PII delivery mode and per-detector redaction settings per mailbox; a per-account secret for hash_replace (issue 4).
alter table mailboxes add column pii_mode text not null default 'passthrough' check (pii_mode in ('passthrough', 'redacted'));
alter table mailboxes add column pii_redaction_config jsonb not null default '{}';
alter table accounts add column pii_key bytea;
