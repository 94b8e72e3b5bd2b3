import type { Message } from "@postbox/sdk";
import { useState } from "preact/hooks";
import { pb } from "../api.ts";
import { useAction, useLoad } from "../components/async.ts";
import { ScanFindings } from "../components/scan.tsx";
import { Empty, ErrorNote, Field, Loading, Notice, Page, When } from "../components/ui.tsx";

/** Held sends waiting for a human: the findings, the hold reasons, and approve / deny / edit-then-rescan. */
export function Reviews() {
  const list = useLoad(() => pb.messages.reviews({ limit: 100 }), []);
  // Held sends name their mailbox by id; the queue shows its address.
  const mailboxes = useLoad(() => pb.mailboxes.list({ limit: 100 }), []);
  const addressOf = (id: string) => mailboxes.data?.data.find((m) => m.id === id)?.address ?? id;
  const [done, setDone] = useState<string | null>(null);
  return (
    <Page
      title="Review queue"
      actions={
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      }
    >
      {done ? <Notice>{done}</Notice> : null}
      <ErrorNote error={list.error} />
      {list.loading && !list.data ? <Loading what="held sends" /> : null}
      {list.data && list.data.data.length === 0 ? <Empty>No sends are waiting for review.</Empty> : null}
      {list.data?.data.map((m) => (
        <ReviewItem
          key={m.id}
          message={m}
          mailbox={addressOf(m.mailbox_id)}
          onDecided={(what) => {
            setDone(what);
            list.reload();
          }}
        />
      ))}
    </Page>
  );
}

function ReviewItem(props: { message: Message; mailbox: string; onDecided: (what: string) => void }) {
  const [m, setM] = useState(props.message);
  const [note, setNote] = useState("");
  const [editing, setEditing] = useState(false);
  const [subject, setSubject] = useState(m.subject ?? "");
  const [text, setText] = useState(m.body.text ?? "");
  const action = useAction();
  const id = m.id;
  return (
    <article class="card review" aria-labelledby={`rv-${id}`}>
      <h2 id={`rv-${id}`}>{m.subject || "(no subject)"}</h2>
      <dl class="meta">
        <dt>From</dt>
        <dd>{m.sender}</dd>
        <dt>To</dt>
        <dd>{[...m.to, ...m.cc].join(", ")}</dd>
        <dt>Mailbox</dt>
        <dd>{m.mailbox_name ?? props.mailbox}</dd>
        <dt>Held</dt>
        <dd>
          <When at={m.created_at} />
        </dd>
      </dl>
      <ScanFindings scan={m.scan} hold={m.hold_context} />
      {editing ? (
        <form
          class="edit"
          onSubmit={async (e) => {
            e.preventDefault();
            await action.run(async () => {
              const revised = await pb.messages.revise(id, { subject, text });
              setM(revised);
              setEditing(false);
            });
          }}
        >
          <Field id={`subj-${id}`} label="Subject">
            <input id={`subj-${id}`} value={subject} onInput={(e) => setSubject(e.currentTarget.value)} />
          </Field>
          <Field id={`text-${id}`} label="Text">
            <textarea
              id={`text-${id}`}
              rows={10}
              value={text}
              onInput={(e) => setText(e.currentTarget.value)}
            />
          </Field>
          <div class="row">
            <button type="submit" disabled={action.busy}>
              Save and rescan
            </button>
            <button type="button" class="secondary" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <details>
          <summary>Message text</summary>
          <pre class="body">{m.body.text ?? m.body.content ?? ""}</pre>
        </details>
      )}
      <Field id={`note-${id}`} label="Reviewer note" hint="Recorded in the audit log with your decision.">
        <textarea id={`note-${id}`} rows={2} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      </Field>
      <ErrorNote error={action.error} />
      <div class="row">
        <button
          type="button"
          disabled={action.busy}
          onClick={() =>
            action.run(async () => {
              await pb.messages.approve(id, note ? { note } : {});
              props.onDecided(`Approved “${m.subject ?? id}”: it is queued for delivery.`);
            })
          }
        >
          Approve
        </button>
        <button
          type="button"
          class="danger"
          disabled={action.busy}
          onClick={() =>
            action.run(async () => {
              await pb.messages.deny(id, note ? { note } : {});
              props.onDecided(`Denied “${m.subject ?? id}”: it will not be sent.`);
            })
          }
        >
          Deny
        </button>
        {!editing ? (
          <button type="button" class="secondary" onClick={() => setEditing(true)}>
            Edit and rescan
          </button>
        ) : null}
      </div>
    </article>
  );
}
