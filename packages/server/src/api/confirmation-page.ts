import type { LinkState } from "../outbound/verified-recipients.ts";

// The pages a recipient's browser shows for a confirmation link: plain HTML, no script, nothing loaded from
// elsewhere. Opening the link only shows the page; the button confirms (a POST), so a mail scanner that follows
// links confirms nothing (decision 0019).

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** Headers for every page: no framing (the button must not be clickjacked), no referrer (the URL is a secret). */
export const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
button{font-size:1rem;padding:.6rem 1.2rem}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`;
}

/** The page for a link: `token` goes into the form that confirms; `confirmed` says the button was just pressed. */
export function confirmationPage(link: LinkState, token: string, confirmed: boolean): string {
  if (link.check === "invalid")
    return page(
      "This link does not work",
      "<p>The confirmation link is not valid: it may be mistyped, replaced by a newer one, or withdrawn.</p>",
    );
  const who = `<strong>${escapeHtml(link.accountName)}</strong>`;
  const address = `<strong>${escapeHtml(link.row.email)}</strong>`;
  if (link.row.status === "confirmed")
    return page(
      "Confirmed",
      `<p>${address} ${confirmed ? "is now" : "was already"} confirmed: the AI agents of ${who} may send mail to it.</p>`,
    );
  if (link.check === "expired")
    return page(
      "This link has expired",
      `<p>The link to confirm ${address} has expired. Ask ${who} to send a new one if you want their mail.</p>`,
    );
  return page(
    "Confirm your address",
    `<p>The AI agents of ${who}, on this Postbox mail service, ask to send mail to ${address}. They may do so only once you confirm.</p>
<form method="post" action="?token=${encodeURIComponent(token)}"><button type="submit">Confirm ${address}</button></form>
<p>If you did not expect this, close this page: nothing will be sent to you.</p>`,
  );
}
