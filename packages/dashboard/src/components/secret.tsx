import { useEffect, useRef, useState } from "preact/hooks";

/**
 * A secret the server answers once (a new API key, a webhook signing secret): read-only, selectable, with a copy
 * button and a warning, until the reader says it is stored.
 */
export function ShownOnce(props: {
  id: string;
  title: string;
  label: string;
  value: string;
  onDone: () => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | null>(null);
  // The reader lands on the secret: it is what they must act on now.
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, [props.value]);
  return (
    <section class="card secret" aria-labelledby={`${props.id}-title`}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      <p class="warning">
        <strong>Copy it now:</strong> it will not be shown again. Store it where your agent or service reads
        it.
      </p>
      <div class="field">
        <label for={props.id}>{props.label}</label>
        <div class="row">
          <input
            id={props.id}
            class="mono wide"
            readOnly
            value={props.value}
            spellcheck={false}
            onFocus={(e) => e.currentTarget.select()}
          />
          <button
            type="button"
            onClick={async () => {
              try {
                await navigator.clipboard.writeText(props.value);
                setCopied("Copied to the clipboard.");
              } catch {
                // No clipboard outside a secure context: leave it selected for Ctrl+C.
                input.current?.select();
                setCopied("The browser refused to copy: the text is selected, press Ctrl+C (⌘C on a Mac).");
              }
            }}
          >
            Copy
          </button>
        </div>
      </div>
      <p class="muted" role="status">
        {copied ?? ""}
      </p>
      <button type="button" class="secondary" onClick={props.onDone}>
        I have stored it
      </button>
    </section>
  );
}
