import { pb } from "../api.ts";
import { useLoad } from "../components/async.ts";
import { MailboxNav } from "../components/mailbox-nav.tsx";
import { Empty, ErrorNote, Loading, Page, When } from "../components/ui.tsx";
import { MessageTable } from "./messages.tsx";

/** A mailbox's conversations, newest activity first. */
export function Threads(props: { id: string }) {
  const list = useLoad(() => pb.threads.list(props.id, { limit: 50 }), [props.id]);
  return (
    <Page title="Threads">
      <MailboxNav id={props.id} current="threads" />
      <ErrorNote error={list.error} />
      {list.loading && !list.data ? <Loading what="threads" /> : null}
      {list.data && list.data.data.length === 0 ? <Empty>No threads yet.</Empty> : null}
      {list.data && list.data.data.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Subject</th>
              <th scope="col">Participants</th>
              <th scope="col">Messages</th>
              <th scope="col">Last activity</th>
            </tr>
          </thead>
          <tbody>
            {list.data.data.map((t) => (
              <tr key={t.id} class={t.unread_count > 0 ? "unread" : ""}>
                <td>
                  <a href={`#/threads/${t.id}`}>{t.subject || "(no subject)"}</a>
                </td>
                <td>{t.participants.join(", ")}</td>
                <td>{t.message_count}</td>
                <td>
                  <When at={t.last_message_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Page>
  );
}

/** One conversation's messages in order. */
export function ThreadPage(props: { id: string }) {
  const t = useLoad(() => pb.threads.get(props.id), [props.id]);
  return (
    <Page title={t.data ? t.data.subject || "(no subject)" : "Thread"}>
      <ErrorNote error={t.error} />
      {t.loading && !t.data ? <Loading what="the thread" /> : null}
      {t.data ? <MessageTable rows={t.data.messages.map((m) => ({ ...m, body_preview: null }))} /> : null}
    </Page>
  );
}
