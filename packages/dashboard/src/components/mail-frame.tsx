import DOMPurify from "dompurify";
import { useMemo } from "preact/hooks";

const REMOTE = /^\s*(https?:|\/\/|ftp:)/i;
const URL_ATTRS = ["src", "srcset", "background", "poster", "lowsrc", "dynsrc", "data"];

/**
 * Cleans mail HTML for display: DOMPurify drops scripts, handlers, forms and frames; every remote resource
 * (images, backgrounds, CSS url()) is removed so opening a mail never tells its sender it was read.
 */
export function sanitizeMailHtml(html: string): { html: string; blocked: number } {
  let blocked = 0;
  const purify = DOMPurify(window);
  purify.addHook("uponSanitizeAttribute", (_node, data) => {
    if (URL_ATTRS.includes(data.attrName) && REMOTE.test(data.attrValue)) {
      blocked++;
      data.keepAttr = false;
    }
    if (data.attrName === "style" && /url\s*\(/i.test(data.attrValue)) {
      blocked++;
      data.attrValue = data.attrValue.replace(/url\s*\([^)]*\)/gi, "none");
    }
  });
  purify.addHook("uponSanitizeElement", (node, data) => {
    if (data.tagName === "style" && node.textContent && /url\s*\(/i.test(node.textContent)) {
      blocked++;
      node.textContent = node.textContent.replace(/url\s*\([^)]*\)/gi, "none");
    }
  });
  const clean = purify.sanitize(html, {
    WHOLE_DOCUMENT: false,
    FORBID_TAGS: [
      "form",
      "input",
      "button",
      "textarea",
      "select",
      "iframe",
      "frame",
      "object",
      "embed",
      "link",
      "meta",
      "base",
    ],
    FORBID_ATTR: ["action", "formaction", "ping"],
  });
  return { html: clean, blocked };
}

/**
 * Mail HTML in a sandboxed frame: no scripts, no same-origin access, no navigation of the dashboard, and a policy
 * inside the frame that loads nothing from the network.
 */
export function MailFrame(props: { html: string; title: string }) {
  const { html, blocked } = useMemo(() => sanitizeMailHtml(props.html), [props.html]);
  const doc =
    `<!doctype html><html><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">` +
    `<base target="_blank"></head><body>${html}</body></html>`;
  return (
    <div class="mail-frame">
      {blocked > 0 ? (
        <p class="muted" role="status">
          {blocked} remote {blocked === 1 ? "resource was" : "resources were"} blocked.
        </p>
      ) : null}
      <iframe
        title={props.title}
        sandbox="allow-popups allow-popups-to-escape-sandbox"
        srcdoc={doc}
        referrerpolicy="no-referrer"
      />
    </div>
  );
}
