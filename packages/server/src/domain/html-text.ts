/** Drops <script> and <style> elements with one forward scan (a lazy regex would rescan on unclosed tags). */
function dropScriptsAndStyles(html: string): string {
  const lower = html.toLowerCase();
  let out = "";
  let at = 0;
  const open = /<(script|style)\b/g;
  for (let m = open.exec(lower); m; m = open.exec(lower)) {
    if (m.index < at) continue;
    out += `${html.slice(at, m.index)} `;
    const close = lower.indexOf(`</${m[1]}`, m.index);
    if (close === -1) return out;
    const end = lower.indexOf(">", close);
    at = end === -1 ? html.length : end + 1;
    open.lastIndex = at;
  }
  return out + html.slice(at);
}

/** Replaces tags (up to 2,000 characters long) by spaces in one pass: the next ">" is looked up once, not per "<". */
function dropTags(html: string): string {
  let out = "";
  let at = 0;
  let gt = html.indexOf(">");
  for (let lt = html.indexOf("<"); lt !== -1 && gt !== -1; lt = html.indexOf("<", at)) {
    if (gt < lt) gt = html.indexOf(">", lt);
    if (gt === -1) break;
    if (gt - lt > 2000) {
      // Not a tag: keep the "<" as text and go on after it.
      out += html.slice(at, lt + 1);
      at = lt + 1;
      continue;
    }
    out += `${html.slice(at, lt)} `;
    at = gt + 1;
    gt = html.indexOf(">", at);
  }
  return out + html.slice(at);
}

/** Text of an HTML body for scanning: tags dropped, common entities decoded; hidden text is kept on purpose. */
export function htmlToScanText(html: string): string {
  return dropTags(dropScriptsAndStyles(html))
    .replace(/&nbsp;/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#(\d{1,6});/g, (_, n) => String.fromCodePoint(Math.min(Number(n), 0x10ffff)));
}
