import type { EventType, PostboxEvent } from "@postbox/sdk";
import { useEffect, useRef, useState } from "preact/hooks";
import { pb } from "../api.ts";
import { useLoad } from "../components/async.ts";
import { EVENT_TYPES } from "../components/event-types.ts";
import { Badge, Empty, ErrorNote, Json, Loading, Page, When } from "../components/ui.tsx";
import { navigate, queryOf } from "../router.ts";

/** How many past events the page starts with, and how many it keeps as new ones arrive. */
const RECENT = 50;
const KEEP = 200;

interface Recent {
  events: PostboxEvent[];
  /** Where the live stream starts, so nothing between the list and the stream is lost. */
  cursor: string;
}

/** The newest events, newest first. The log replays oldest first, so this reads it to its end. */
async function loadRecent(type: EventType | ""): Promise<Recent> {
  let events: PostboxEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await pb.events.list({
      limit: 500,
      ...(after ? { after } : {}),
      ...(type ? { types: [type] } : {}),
    });
    events = [...events, ...page.data].slice(-RECENT);
    after = page.cursor;
    if (!page.hasMore) return { events: events.reverse(), cursor: page.cursor };
  }
}

/** The account's event feed: the latest events, then each new one as it happens (Server-Sent Events). */
export function Events(props: { path: string }) {
  const type = (queryOf(props.path).get("type") ?? "") as EventType | "";
  const recent = useLoad(() => loadRecent(type), [type]);
  return (
    <Page title="Events">
      <div class="filters">
        <label>
          Event type{" "}
          <select
            value={type}
            onChange={(e) =>
              navigate(e.currentTarget.value ? `/events?type=${e.currentTarget.value}` : "/events")
            }
          >
            <option value="">all</option>
            {EVENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={recent.error} />
      {recent.loading ? <Loading what="recent events" /> : null}
      {recent.data && !recent.loading ? <LiveFeed key={type} type={type} recent={recent.data} /> : null}
    </Page>
  );
}

type Status = "connecting" | "live" | "retrying" | "closed" | "paused";

const STATUS_TEXT: Record<Status, string> = {
  connecting: "Connecting…",
  live: "Live: new events appear at the top.",
  retrying: "The connection dropped; reconnecting…",
  closed: "The live stream was closed by the server.",
  paused: "Paused: events that happen now appear when you resume.",
};

function LiveFeed(props: { type: EventType | ""; recent: Recent }) {
  const [events, setEvents] = useState(props.recent.events);
  const [paused, setPaused] = useState(false);
  const [status, setStatus] = useState<Status>("connecting");
  const [attempt, setAttempt] = useState(0);
  const cursor = useRef(props.recent.cursor);
  useEffect(() => {
    if (paused) {
      setStatus("paused");
      return;
    }
    // Same origin: the session cookie authenticates; a reconnect resumes from Last-Event-ID on its own.
    const q = new URLSearchParams({ after: cursor.current });
    if (props.type) q.set("types", props.type);
    const source = new EventSource(`/v1/events/stream?${q}`);
    setStatus("connecting");
    const arrived = (m: MessageEvent<string>) => {
      const e = JSON.parse(m.data) as PostboxEvent;
      cursor.current = e.cursor;
      setEvents((list) => (list.some((x) => x.id === e.id) ? list : [e, ...list].slice(0, KEEP)));
    };
    // Each SSE message is named after its event type; unnamed ones arrive as "message".
    for (const t of [...EVENT_TYPES, "message"]) source.addEventListener(t, arrived);
    source.onopen = () => setStatus("live");
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) return setStatus("retrying");
      setStatus("closed");
      // A refusal has no body here: an ordinary call finds out whether the session ended (it signs out then).
      pb.events.list({ limit: 1, after: cursor.current }).catch(() => {});
    };
    return () => source.close();
  }, [paused, attempt, props.type]);
  return (
    <section aria-labelledby="live-title">
      <h2 id="live-title">Live events</h2>
      <div class="row">
        <button type="button" class="secondary" onClick={() => setPaused(!paused)}>
          {paused ? "Resume" : "Pause"}
        </button>
        {status === "closed" ? (
          <button type="button" onClick={() => setAttempt(attempt + 1)}>
            Reconnect
          </button>
        ) : null}
        <span class={status === "closed" ? "error" : "muted"} role="status">
          {STATUS_TEXT[status]}
        </span>
      </div>
      {events.length === 0 ? <Empty>No events yet.</Empty> : null}
      <ol class="events" aria-labelledby="live-title" aria-live="polite" aria-relevant="additions">
        {events.map((e) => (
          <EventItem key={e.id} e={e} />
        ))}
      </ol>
    </section>
  );
}

const BAD = /blocked|quarantined|bounced|failed|denied|reported|disabled/;
const WARN = /pending_review|deferred|expired|blocked_attempt/;

function EventItem(props: { e: PostboxEvent }) {
  const { e } = props;
  const messageId = typeof e.data.message_id === "string" ? e.data.message_id : null;
  const subject = typeof e.data.subject === "string" ? e.data.subject : null;
  return (
    <li>
      <div class="row">
        <Badge tone={WARN.test(e.event) ? "warn" : BAD.test(e.event) ? "bad" : "info"}>{e.event}</Badge>
        <When at={e.created_at} />
        {messageId ? (
          <a href={`#/messages/${messageId}`}>{subject ? `“${subject}”` : "the message"}</a>
        ) : null}
        {e.mailbox_id ? <a href={`#/mailboxes/${e.mailbox_id}`}>its mailbox</a> : null}
        <span class="muted mono">{e.id}</span>
      </div>
      <details>
        <summary>Data</summary>
        <Json value={e.data} />
      </details>
    </li>
  );
}
