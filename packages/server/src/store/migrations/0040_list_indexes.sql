-- Lists that cost the same in a mailbox of a thousand messages as in one of a million (issue 17, decision 0028).
-- A message list is ordered (created_at desc, id desc) and stops after limit + 1 rows; each index below lets a
-- filter walk its rows in that order from the mailbox's newest, so no filter reads rows it then drops or sorts
-- the whole mailbox. The partial predicates are written exactly as store/messages.ts writes its conditions.

-- The default list: settled mail (store/visible.ts LISTED_STATES), past a backlog still being processed or held.
create index messages_listed on messages (mailbox_id, created_at desc, id desc)
  where state in ('available', 'dispatching', 'delivered', 'bounced', 'cancelled');

-- unread=true: in a mailbox its agent keeps up with, the few unread among many read.
create index messages_unread on messages (mailbox_id, created_at desc, id desc)
  where direction = 'inbound' and read_at is null;

-- status=…: one state (quarantined, blocked, failed, deleted…), however rare.
create index messages_state_list on messages (mailbox_id, state, created_at desc, id desc);

-- direction=… among settled mail.
create index messages_direction_list on messages (mailbox_id, direction, created_at desc, id desc)
  where state in ('available', 'dispatching', 'delivered', 'bounced', 'cancelled');

-- sender=address and sender=@domain (the part after the last '@').
create index messages_sender_list on messages (mailbox_id, lower(sender), created_at desc, id desc);
create index messages_sender_domain_list on messages
  (mailbox_id, substring(lower(sender) from '@([^@]*)$'), created_at desc, id desc);

-- starred=true, has_attachment=true, label=… (labelled mail; the label itself is checked on these rows).
create index messages_starred on messages (mailbox_id, created_at desc, id desc) where starred;
create index messages_with_attachments on messages (mailbox_id, created_at desc, id desc)
  where jsonb_array_length(attachments) > 0;
create index messages_labelled on messages (mailbox_id, created_at desc, id desc) where cardinality(labels) > 0;

-- wait without a cursor: the oldest unread available arrival.
create index messages_unread_seq on messages (mailbox_id, inbound_seq)
  where inbound_seq is not null and state = 'available' and read_at is null;
