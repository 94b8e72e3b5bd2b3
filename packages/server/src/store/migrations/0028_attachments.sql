-- Attachments (issue 14): inbound attachments are stored content-addressed in the blob store and described on
-- their message (messages.attachments, no column change); outbound attachments are staged as upload handles.

-- The image-risk text a mailbox accepted for raw image downloads by agents (a stale version grants nothing).
alter table mailboxes add column attachment_image_accepted_version text;
alter table mailboxes add column attachment_image_accepted_at timestamptz(3);
-- Outbound attachments are off until an admin turns them on; images need their own disclaimer accepted.
alter table mailboxes add column outbound_attachments_enabled boolean not null default false;
alter table mailboxes add column outbound_image_disclaimer_version text;

-- A staged outbound attachment: scanned asynchronously, consumed once by a send of its mailbox, 24 h to live.
create table attachment_uploads (
  id uuid primary key,
  account_id uuid not null references accounts (id),
  mailbox_id uuid not null references mailboxes (id),
  filename text not null,
  declared_mime_type text not null,
  sniffed_mime_type text not null,
  family text,
  size integer not null,
  sha256 text not null,
  content_scan_status text not null default 'pending'
    check (content_scan_status in ('pending', 'clean', 'flagged', 'error')),
  scan jsonb,
  -- When a scanner took it (a scan that dies leaves it to be taken again after a while).
  scan_started_at timestamptz(3),
  scanned_at timestamptz(3),
  created_at timestamptz(3) not null default now(),
  expires_at timestamptz(3) not null,
  consumed_at timestamptz(3),
  consumed_message_id uuid references messages (id)
);
create index attachment_uploads_pending on attachment_uploads (created_at) where content_scan_status = 'pending';

-- The handles a draft will send (consumed when the draft is sent).
alter table drafts add column attachment_ids uuid[] not null default '{}';

-- The signing key of download URLs lives in service_secrets (migration 0031), made on first use.
