-- The seed's mailbox settings and policy (issue 13). What is a setting is stored here; what follows from settings
-- (policy_mode, agent_send_policy, restricted_by) is derived in domain/mailbox-policy.ts.

-- paused: inbound mail is deferred with a temporary refusal (SMTP 450, ingest 503) and the mailbox sends nothing;
-- deletion stays deleted_at.
alter table mailboxes add column status text not null default 'active' check (status in ('active', 'paused'));

-- The inbound sender policy as a mode of its own (the seed's sender_policy_mode), so switching to blocklist keeps the
-- list (mailbox_sender_allowlist, inert then) and allowlist mode with an empty list (force_empty) blocks every
-- sender. Mailboxes whose list had entries were gated by it: they are in allowlist mode.
alter table mailboxes add column sender_policy text not null default 'blocklist'
  check (sender_policy in ('blocklist', 'allowlist'));
update mailboxes m set sender_policy = 'allowlist'
  where exists (select 1 from mailbox_sender_allowlist s where s.mailbox_id = m.id);

-- In allowlist mode, replies to people who wrote to the mailbox in that thread go through (the seed's default).
alter table mailboxes add column allow_thread_replies boolean not null default true;
-- Outbound mail names a plus-address of the mailbox in Reply-To or From, or neither.
alter table mailboxes add column default_subaddress_mode text not null default 'none'
  check (default_subaddress_mode in ('reply_to', 'from', 'none'));
-- What agent keys may read of attachments: metadata only (default), or the raw message when every attachment is of
-- an allowed family.
alter table mailboxes add column attachment_exposure_mode text not null default 'metadata_only'
  check (attachment_exposure_mode in ('metadata_only', 'derived_content', 'raw_download_selected_types'));
alter table mailboxes add column attachment_allowed_file_families text[] not null default '{}';
-- What agent keys may author: send and draft, drafts only, or nothing.
alter table mailboxes add column agent_authoring_mode text not null default 'send_and_draft'
  check (agent_authoring_mode in ('send_and_draft', 'draft_only', 'read_only'));
-- {timezone, days[], start, end, outside_action}: agent sends outside it are held or refused; null: always open.
alter table mailboxes add column send_window jsonb;
-- The policy mode last applied (apply_policy_mode), and a new id at every change of a policy setting.
alter table mailboxes add column last_applied_policy_mode text;
alter table mailboxes add column policy_revision_id uuid;
-- Null: held sends never expire (the seed's approval_expiry "never").
alter table mailboxes alter column approval_expiry_hours drop not null;

-- The mode new mailboxes of the account start in (null: none applied, the mailbox's own defaults).
alter table accounts add column default_policy_mode text
  check (default_policy_mode in ('read_only', 'draft_only', 'supervised', 'trusted'));
