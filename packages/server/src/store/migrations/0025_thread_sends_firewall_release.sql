-- Drafts that answer a thread or a message (issue 13): the thread the draft's send joins (gone with the thread), the
-- message it answers, and the In-Reply-To and References its send carries.
alter table drafts add column thread_id uuid references threads (id) on delete set null;
alter table drafts add column in_reply_to_message_id uuid;
alter table drafts add column in_reply_to text;
alter table drafts add column references_ids text[] not null default '{}';

-- A firewall-blocked message an admin released goes through processing again, the firewall excepted: when it was
-- released (null: never).
alter table messages add column firewall_released_at timestamptz(3);
