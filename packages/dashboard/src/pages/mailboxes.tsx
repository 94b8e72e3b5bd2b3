import { pb } from "../api.ts";
import { useLoad } from "../components/async.ts";
import { Empty, ErrorNote, Loading, Page } from "../components/ui.tsx";

/** The account's mailboxes, each with its mail, settings, policy and audit log. */
export function Mailboxes() {
  const list = useLoad(() => pb.mailboxes.list({ limit: 100 }), []);
  return (
    <Page title="Mailboxes">
      <ErrorNote error={list.error} />
      {list.loading && !list.data ? <Loading what="mailboxes" /> : null}
      {list.data && list.data.data.length === 0 ? (
        <Empty>No mailboxes yet. Create one with the API, the SDKs or `postbox mailboxes create`.</Empty>
      ) : null}
      {list.data && list.data.data.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Address</th>
              <th scope="col">Name</th>
              <th scope="col">Pages</th>
            </tr>
          </thead>
          <tbody>
            {list.data.data.map((m) => (
              <tr key={m.id}>
                <td>
                  <a href={`#/mailboxes/${m.id}`}>{m.address}</a>
                </td>
                <td>{m.display_name ?? ""}</td>
                <td class="links">
                  <a href={`#/mailboxes/${m.id}`}>Mail</a> <a href={`#/mailboxes/${m.id}/threads`}>Threads</a>{" "}
                  <a href={`#/mailboxes/${m.id}/settings`}>Settings</a>{" "}
                  <a href={`#/mailboxes/${m.id}/policy`}>Policy</a>{" "}
                  <a href={`#/mailboxes/${m.id}/audit`}>Audit</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Page>
  );
}
