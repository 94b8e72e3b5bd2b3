import type { Mailbox, Message } from "@postbox/sdk";
import { useState } from "preact/hooks";
import { pb } from "../api.ts";
import { useAction, useLoad } from "../components/async.ts";
import { InjectionReasons } from "../components/scan.tsx";
import { Empty, ErrorNote, Field, Loading, Notice, Page, When } from "../components/ui.tsx";

interface Held {
  mailbox: Mailbox;
  message: Message;
}

/** Every mailbox's quarantined inbound mail, newest first. */
async function loadQuarantine(): Promise<Held[]> {
  const mailboxes = await pb.mailboxes.list({ limit: 100 });
  const lists = await Promise.all(
    mailboxes.data.map(async (mailbox) => {
      const page = await pb.messages.list(mailbox.id, { status: "quarantined", view: "verbose", limit: 100 });
      return page.data.map((message) => ({ mailbox, message: message as Message }));
    }),
  );
  return lists.flat().sort((a, b) => b.message.created_at.localeCompare(a.message.created_at));
}

/** Quarantined inbound mail: why it was held (the injection signals), and release / block / report. */
export function Quarantine() {
  const list = useLoad(loadQuarantine, []);
  const [done, setDone] = useState<string | null>(null);
  return (
    <Page
      title="Quarantine"
      actions={
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      }
    >
      <p class="muted">
        Agents never see quarantined mail. Releasing delivers it to the mailbox as a new arrival; blocking
        keeps it out and blocks its sender; reporting records it as an attack and keeps it out.
      </p>
      {done ? <Notice>{done}</Notice> : null}
      <ErrorNote error={list.error} />
      {list.loading && !list.data ? <Loading what="quarantined mail" /> : null}
      {list.data && list.data.length === 0 ? <Empty>No mail is quarantined.</Empty> : null}
      {list.data?.map((h) => (
        <QuarantineItem
          key={h.message.id}
          held={h}
          onDecided={(what) => {
            setDone(what);
            list.reload();
          }}
        />
      ))}
    </Page>
  );
}

function QuarantineItem(props: { held: Held; onDecided: (what: string) => void }) {
  const { message: m, mailbox } = props.held;
  const [note, setNote] = useState("");
  const action = useAction();
  const decide = (verb: "release" | "block" | "report", words: string) =>
    action.run(async () => {
      await pb.messages[verb](m.id, note ? { note } : {});
      props.onDecided(`${words} “${m.subject ?? m.id}”.`);
    });
  return (
    <article class="card quarantined" aria-labelledby={`q-${m.id}`}>
      <h2 id={`q-${m.id}`}>
        <a href={`#/messages/${m.id}`}>{m.subject || "(no subject)"}</a>
      </h2>
      <dl class="meta">
        <dt>From</dt>
        <dd>{m.sender}</dd>
        <dt>Mailbox</dt>
        <dd>{mailbox.name}</dd>
        <dt>Received</dt>
        <dd>
          <When at={m.created_at} />
        </dd>
      </dl>
      <InjectionReasons injection={m.injection} />
      <details>
        <summary>Message text (untrusted)</summary>
        <pre class="body">{m.body.text ?? m.body.content ?? ""}</pre>
      </details>
      <Field id={`qnote-${m.id}`} label="Note" hint="Recorded in the audit log.">
        <textarea
          id={`qnote-${m.id}`}
          rows={2}
          value={note}
          onInput={(e) => setNote(e.currentTarget.value)}
        />
      </Field>
      <ErrorNote error={action.error} />
      <div class="row">
        <button type="button" disabled={action.busy} onClick={() => decide("release", "Released")}>
          Release
        </button>
        <button
          type="button"
          class="danger"
          disabled={action.busy}
          onClick={() => decide("block", "Blocked")}
        >
          Block
        </button>
        <button
          type="button"
          class="secondary"
          disabled={action.busy}
          onClick={() => decide("report", "Reported")}
        >
          Report
        </button>
      </div>
    </article>
  );
}
