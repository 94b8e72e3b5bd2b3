import type { MessageState, MessageSummary } from "@postbox/sdk";
import { useState } from "preact/hooks";
import { pb } from "../api.ts";
import { useLoad } from "../components/async.ts";
import { MailboxNav } from "../components/mailbox-nav.tsx";
import { Badge, Empty, ErrorNote, Loading, Page, When } from "../components/ui.tsx";
import { navigate, queryOf } from "../router.ts";

const STATES: (MessageState | "")[] = [
  "",
  "available",
  "quarantined",
  "pending_review",
  "blocked",
  "dispatching",
  "delivered",
  "bounced",
  "failed",
];

/** A mailbox's mail with the API's filters; the filters live in the address so a view can be linked. */
export function Messages(props: { id: string; path: string }) {
  const q = queryOf(props.path);
  const state = q.get("state") ?? "";
  const direction = q.get("direction") ?? "";
  const search = q.get("q") ?? "";
  const cursor = q.get("cursor") ?? undefined;
  const [draft, setDraft] = useState(search);
  const mailbox = useLoad(() => pb.mailboxes.get(props.id), [props.id]);
  const list = useLoad(
    () =>
      pb.messages.list(props.id, {
        limit: 50,
        ...(state ? { status: state as MessageState } : {}),
        ...(direction ? { direction: direction as "inbound" | "outbound" } : {}),
        ...(search ? { search } : {}),
        ...(cursor ? { cursor } : {}),
      }),
    [props.id, state, direction, search, cursor],
  );
  const go = (changes: Record<string, string>) => {
    const next = new URLSearchParams({ state, direction, q: search, ...changes });
    for (const [k, v] of [...next]) if (!v) next.delete(k);
    navigate(`/mailboxes/${props.id}?${next}`);
  };
  return (
    <Page title={`Mail of ${mailbox.data?.address ?? "…"}`}>
      <MailboxNav id={props.id} current="mail" />
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          go({ q: draft, cursor: "" });
        }}
      >
        <label>
          State{" "}
          <select value={state} onChange={(e) => go({ state: e.currentTarget.value, cursor: "" })}>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s || "settled (default)"}
              </option>
            ))}
          </select>
        </label>
        <label>
          Direction{" "}
          <select value={direction} onChange={(e) => go({ direction: e.currentTarget.value, cursor: "" })}>
            <option value="">both</option>
            <option value="inbound">inbound</option>
            <option value="outbound">outbound</option>
          </select>
        </label>
        <label>
          Search <input type="search" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
        </label>
        <button type="submit">Apply</button>
      </form>
      <ErrorNote error={list.error ?? mailbox.error} />
      {list.loading && !list.data ? <Loading what="messages" /> : null}
      {list.data && list.data.data.length === 0 ? <Empty>No messages match.</Empty> : null}
      {list.data && list.data.data.length > 0 ? <MessageTable rows={list.data.data} /> : null}
      {list.data?.hasMore && list.data.cursor ? (
        <button type="button" onClick={() => go({ cursor: list.data!.cursor! })}>
          Next page
        </button>
      ) : null}
    </Page>
  );
}

export function MessageTable(props: { rows: MessageSummary[] }) {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Subject</th>
          <th scope="col">From</th>
          <th scope="col">To</th>
          <th scope="col">State</th>
          <th scope="col">When</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((m) => (
          <tr key={m.id} class={m.read_at || m.direction === "outbound" ? "" : "unread"}>
            <td>
              <a href={`#/messages/${m.id}`}>{m.subject || "(no subject)"}</a>
              {m.has_attachment ? <span title="has attachments"> 📎</span> : null}
            </td>
            <td>{m.sender}</td>
            <td>{m.recipient}</td>
            <td>
              <Badge tone={m.state === "quarantined" || m.state === "blocked" ? "bad" : "info"}>
                {m.state}
              </Badge>
            </td>
            <td>
              <When at={m.created_at} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
