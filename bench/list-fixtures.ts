import type pg from "pg";

/** How a filled mailbox looks, so the benchmark can ask for what is there. */
export interface FilledMailbox {
  mailboxId: string;
  count: number;
  /** A word in the subject of the rare messages, and one in every body. */
  rareWord: string;
  commonWord: string;
  /** The domain of the one rare sender. */
  rareDomain: string;
}

/**
 * Fills a mailbox with `count` settled messages straight in the database (one INSERT … SELECT over
 * generate_series), newest last, one second apart, shaped like real mail: 90 % inbound, 10 % sent; threads of
 * five; one in ten bodies about 4 KB, the rest about 300 bytes; a little blocked and deleted mail. What filters
 * look for is rare — unread (as in a mailbox an agent keeps up with), quarantined, starred, labelled, with an
 * attachment, from one sender, with one word in the subject: one message in 1,000, plus one in ten of the oldest
 * 1,000, so that every filter fills a page of 50 even in a mailbox of 1,000 while in a big one the newest matches
 * lie far apart. Each message gets its search document, computed as the service computes it (migration 0024).
 */
export async function fillMailbox(
  c: pg.Client,
  mb: { id: string; account_id: string },
  count: number,
): Promise<FilledMailbox> {
  const threads = Math.ceil(count / 5);
  await c.query("begin");
  // Words to make bodies from: varied enough that TOAST compresses them as it would prose.
  await c.query(
    `create temporary table bench_words on commit drop as
     select array_agg(w) as words from (
       select substr(md5(g::text), 1, 3 + g % 7) as w from generate_series(1, 2000) g) x`,
  );
  await c.query(
    `create temporary table bench_bodies on commit drop as
     select b, (select string_agg(words[1 + (b * 7919 + i * 104729) % 2000], ' ')
                from bench_words, generate_series(1, case when b < 10 then 620 else 45 end) i) as body
     from generate_series(0, 99) b`,
  );
  await c.query(
    `insert into threads (id, account_id, mailbox_id, subject, subject_key, participants, message_count,
       last_message_at, created_at)
     select md5($1::text || ':t' || t)::uuid, $2::uuid, $1::uuid, 'Conversation ' || t, 'conversation ' || t,
       array['sender' || (t % 500) || '@example' || (t % 50) || '.org', 'box@test.local'], 5,
       now() - make_interval(secs => $3::int - t * 5), now() - make_interval(secs => $3::int - t * 5 + 4)
     from generate_series(0, $4 - 1) t`,
    [mb.id, mb.account_id, count, threads],
  );
  await c.query(
    `insert into messages (id, account_id, mailbox_id, direction, state, raw_sha256, raw_size, envelope,
       internet_message_id, sender, sender_name, recipient, to_addrs, subject, sent_at, thread_id, body_text,
       attachments, inbound_seq, read_at, starred, labels, sender_auth, capabilities, injection_score, deleted_at,
       created_at, updated_at)
     select md5($1::text || ':m' || i)::uuid, $2::uuid, $1::uuid, d.direction,
       case when d.direction = 'outbound' then 'delivered'
            when r.quarantined then 'quarantined' when i % 200 = 11 then 'blocked' when i % 200 = 13 then 'deleted'
            else 'available' end,
       md5(i::text) || md5($1::text || i), length(b.body) + 900,
       jsonb_build_object('transport', 'smtp', 'client_ip', '192.0.2.1', 'helo', 'mx.example.org',
         'mail_from', 'sender' || (i % 500) || '@example.org', 'rcpt_to', jsonb_build_array('box@test.local')),
       '<' || i || '.' || $1::text || '@example.org>',
       case when d.direction = 'outbound' then 'box@test.local' when r.sender then 'alerts@rare.example.net'
         else 'sender' || (i % 500) || '@example' || (i % 50) || '.org' end,
       'Sender ' || (i % 500), 'box@test.local', '["box@test.local"]'::jsonb,
       'Conversation ' || (i / 5) || case when r.word then ' ' || $4 else '' end,
       t0 + make_interval(secs => i), md5($1::text || ':t' || (i / 5))::uuid,
       $5 || ' ' || b.body,
       case when r.attachment then jsonb_build_array(jsonb_build_object('filename', 'report-' || i || '.pdf',
         'content_type', 'application/pdf', 'size', 48213, 'hash', md5('a' || i) || md5('b' || i)))
         else '[]'::jsonb end,
       case when d.direction = 'inbound' then i end,
       case when d.direction = 'inbound' and not r.unread then t0 + make_interval(secs => i + 60) end,
       r.starred, case when r.label then array['invoices'] else '{}' end,
       case when d.direction = 'inbound' then
         jsonb_build_object('spf', jsonb_build_object('result', 'pass', 'domain', 'example.org', 'aligned', true),
           'dkim', jsonb_build_object('result', 'pass', 'aligned', true, 'signatures', jsonb_build_array(
             jsonb_build_object('domain', 'example.org', 'selector', 's1', 'algorithm', 'rsa-sha256',
               'result', 'pass', 'aligned', true, 'comment', null))),
           'dmarc', jsonb_build_object('result', 'pass', 'policy', 'reject', 'domain', 'example.org'),
           'arc', jsonb_build_object('result', 'none', 'instances', 0), 'from_domain', 'example.org',
           'signing_domains', jsonb_build_array('example.org'), 'verdict', 'verified_aligned') end,
       '{}', case when d.direction = 'inbound' then 0.02 end,
       case when i % 200 = 13 then t0 + make_interval(secs => i + 90) end,
       t0 + make_interval(secs => i), t0 + make_interval(secs => i)
     from generate_series(0, $3 - 1) i
     cross join lateral (select case when i % 10 = 9 then 'outbound' else 'inbound' end as direction) d
     -- Rare: one row in 1,000, plus one in ten of the oldest 1,000 (so a small mailbox fills a page too).
     cross join lateral (select i % 1000 = 4 or (i < 1000 and i % 10 = 4) as unread,
       i % 1000 = 7 or (i < 1000 and i % 10 = 7) as quarantined, i % 1000 = 6 or (i < 1000 and i % 10 = 6) as starred,
       i % 1000 = 8 or (i < 1000 and i % 10 = 8) as label, i % 1000 = 2 or (i < 1000 and i % 10 = 2) as attachment,
       i % 1000 = 5 or (i < 1000 and i % 10 = 5) as sender, i % 1000 = 0 or (i < 1000 and i % 10 = 0) as word) r
     cross join (select now() - make_interval(secs => $3) as t0) n
     join bench_bodies b on b.b = i % 100`,
    [mb.id, mb.account_id, count, "zebrafinch", "postbox"],
  );
  await c.query(
    `insert into message_search (message_id, document)
     select id, message_search_document(subject, sender, sender_name, body_text, body_html)
     from messages where mailbox_id = $1`,
    [mb.id],
  );
  await c.query("update mailboxes set inbound_seq = $2 where id = $1", [mb.id, count]);
  await c.query("commit");
  return {
    mailboxId: mb.id,
    count,
    rareWord: "zebrafinch",
    commonWord: "postbox",
    rareDomain: "rare.example.net",
  };
}
