import type { Attachment, Message } from "@postbox/sdk";
import { useState } from "preact/hooks";
import { pb } from "../api.ts";
import { useAction, useLoad } from "../components/async.ts";
import { MailFrame } from "../components/mail-frame.tsx";
import { InjectionReasons, ScanFindings } from "../components/scan.tsx";
import { Badge, ErrorNote, Loading, Page, When } from "../components/ui.tsx";

type View = "text" | "html" | "raw";

/** One message: who and what, the safety findings, the body (text, sanitised HTML or raw source), attachments. */
export function MessagePage(props: { id: string }) {
  const msg = useLoad(() => pb.messages.get(props.id), [props.id]);
  const m = msg.data;
  const [view, setView] = useState<View>("text");
  return (
    <Page title={m ? m.subject || "(no subject)" : "Message"}>
      <ErrorNote error={msg.error} />
      {msg.loading && !m ? <Loading what="the message" /> : null}
      {m ? (
        <>
          <dl class="meta">
            <dt>State</dt>
            <dd>
              <Badge tone={m.state === "quarantined" || m.state === "blocked" ? "bad" : "info"}>
                {m.state}
              </Badge>{" "}
              {m.direction}
            </dd>
            <dt>From</dt>
            <dd>{m.sender_name ? `${m.sender_name} <${m.sender}>` : m.sender}</dd>
            <dt>To</dt>
            <dd>{m.to.join(", ") || m.recipient}</dd>
            {m.cc.length > 0 ? (
              <>
                <dt>Cc</dt>
                <dd>{m.cc.join(", ")}</dd>
              </>
            ) : null}
            <dt>Mailbox</dt>
            <dd>
              <a href={`#/mailboxes/${m.mailbox_id}`}>{m.mailbox_name ?? m.mailbox_id}</a>
            </dd>
            {m.thread_id ? (
              <>
                <dt>Thread</dt>
                <dd>
                  <a href={`#/threads/${m.thread_id}`}>view thread</a>
                </dd>
              </>
            ) : null}
            <dt>Received</dt>
            <dd>
              <When at={m.created_at} />
            </dd>
            {m.sender_authentication ? (
              <>
                <dt>Sender authentication</dt>
                <dd>
                  <Badge tone={m.sender_authentication.verdict === "verified_aligned" ? "ok" : "warn"}>
                    {m.sender_authentication.verdict}
                  </Badge>
                </dd>
              </>
            ) : null}
          </dl>
          <InjectionReasons injection={m.injection} />
          {m.verification && (m.verification.codes.length > 0 || m.verification.links.length > 0) ? (
            <section aria-labelledby="ver-title">
              <h2 id="ver-title">Verification</h2>
              <ul>
                {m.verification.codes.map((c) => (
                  <li key={`c-${c.value}`}>
                    Code <code>{c.value}</code>
                  </li>
                ))}
                {m.verification.links.map((l) => (
                  <li key={`l-${l.url}`}>
                    {l.kind.replace("_", " ")} link: <span class="mono">{l.url}</span>
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
          {m.direction === "outbound" ? <ScanFindings scan={m.scan} hold={m.hold_context} /> : null}
          <fieldset class="tabs">
            <legend class="visually-hidden">Body view</legend>
            {(["text", "html", "raw"] as const).map((v) => (
              <button
                key={v}
                type="button"
                class={view === v ? "" : "secondary"}
                aria-pressed={view === v}
                disabled={v === "html" && !m.body.html}
                onClick={() => setView(v)}
              >
                {v === "text" ? "Text" : v === "html" ? "HTML (sanitised)" : "Raw source"}
              </button>
            ))}
          </fieldset>
          {view === "text" ? <pre class="body">{m.body.text ?? m.body.content ?? ""}</pre> : null}
          {view === "html" && m.body.html ? (
            <MailFrame html={m.body.html} title={`Body of ${m.subject ?? m.id}`} />
          ) : null}
          {view === "raw" ? <RawSource id={m.id} /> : null}
          {m.attachments.length > 0 ? <Attachments message={m} /> : null}
        </>
      ) : null}
    </Page>
  );
}

function RawSource(props: { id: string }) {
  const raw = useLoad(async () => new TextDecoder().decode(await pb.messages.getRaw(props.id)), [props.id]);
  return (
    <>
      <ErrorNote error={raw.error} />
      {raw.data !== undefined ? <pre class="body raw">{raw.data}</pre> : <Loading what="the raw source" />}
    </>
  );
}

function Attachments(props: { message: Message }) {
  return (
    <section aria-labelledby="att-title">
      <h2 id="att-title">Attachments</h2>
      <ul class="attachments">
        {props.message.attachments.map((a) => (
          <AttachmentItem key={a.index} messageId={props.message.id} a={a} />
        ))}
      </ul>
    </section>
  );
}

function AttachmentItem(props: { messageId: string; a: Attachment }) {
  const { a } = props;
  const [preview, setPreview] = useState<string | null>(null);
  const action = useAction();
  return (
    <li>
      <strong>{a.filename ?? `attachment ${a.index}`}</strong> <span class="muted">{a.content_type}</span>{" "}
      <span class="muted">{a.size} bytes</span>{" "}
      <Badge tone={a.dangerous ? "bad" : "info"}>{a.policy_action}</Badge>
      {a.dangerous_reason ? <span class="muted"> {a.dangerous_reason}</span> : null}{" "}
      {a.stored && a.policy_action === "deliver" ? (
        <button
          type="button"
          class="secondary"
          disabled={action.busy}
          onClick={() =>
            action.run(async () => {
              const d = await pb.attachments.getDownloadUrl(props.messageId, a.index);
              location.assign(d.url);
            })
          }
        >
          Download
        </button>
      ) : null}
      {a.preview_status === "ready" ? (
        <button
          type="button"
          class="secondary"
          disabled={action.busy}
          onClick={() =>
            action.run(async () => {
              const p = await pb.attachments.getPreview(props.messageId, a.index);
              setPreview(p.preview.content);
            })
          }
        >
          Preview text
        </button>
      ) : null}
      <ErrorNote error={action.error} />
      {preview !== null ? <pre class="body">{preview}</pre> : null}
    </li>
  );
}
