/** The pages of one mailbox, the current one marked, so each is one step from the others. */
export function MailboxNav(props: {
  id: string;
  current: "mail" | "threads" | "settings" | "policy" | "audit";
}) {
  const base = `#/mailboxes/${encodeURIComponent(props.id)}`;
  const links = [
    ["mail", base, "Mail"],
    ["threads", `${base}/threads`, "Threads"],
    ["settings", `${base}/settings`, "Settings"],
    ["policy", `${base}/policy`, "Policy"],
    ["audit", `${base}/audit`, "Audit log"],
  ] as const;
  return (
    <nav class="subnav" aria-label="Mailbox pages">
      <ul>
        {links.map(([key, href, label]) => (
          <li key={key}>
            <a href={href} aria-current={props.current === key ? "page" : undefined}>
              {label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
