-- Full-text search over messages (issue 13): one tsvector per processed message in a table of its own, so that
-- `select * from messages` never carries it. The 'simple' configuration (no stemming, no stop words) suits mail
-- in any language. The document: the subject (weight A, which `subject:` filters on), the sender's name and
-- address, its address also split at '@' and '.' (weight B), and the first 100,000 characters of the text body —
-- or of the HTML with its tags taken out when there is no text part — which keeps every document well under
-- PostgreSQL's 1 MB tsvector limit.
create function message_search_document(subject text, sender text, sender_name text, body_text text,
  body_html text)
returns tsvector language sql immutable parallel safe as $$
  select setweight(to_tsvector('simple'::regconfig, coalesce(subject, '')), 'A')
      || setweight(to_tsvector('simple'::regconfig,
           concat_ws(' ', sender_name, sender, translate(coalesce(sender, ''), '@.', '  '))), 'B')
      || to_tsvector('simple'::regconfig, left(coalesce(body_text,
           regexp_replace(left(body_html, 400000), '<[^>]*>', ' ', 'g'), ''), 100000))
$$;

create table message_search (
  message_id uuid primary key references messages (id) on delete cascade,
  document tsvector not null
);
create index message_search_document on message_search using gin (document);

-- Mail already processed becomes searchable now; new mail as it is processed or sent (store/messages.ts).
insert into message_search (message_id, document)
select id, message_search_document(subject, sender, sender_name, body_text, body_html)
from messages where state <> 'received';
