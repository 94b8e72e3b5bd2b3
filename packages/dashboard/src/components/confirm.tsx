import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

/**
 * A destructive action asked twice: the first press shows the question with the confirming button and Cancel
 * (focused, so Enter does not destroy by accident); Cancel returns focus to the first button.
 */
export function ConfirmButton(props: {
  label: string;
  /** The accessible name of the first button when the visible label alone is ambiguous in a list. */
  name?: string;
  question: ComponentChildren;
  confirmLabel: string;
  busy?: boolean;
  onConfirm: () => unknown;
}) {
  const [asking, setAsking] = useState(false);
  const cancel = useRef<HTMLButtonElement>(null);
  const first = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  useEffect(() => {
    if (asking) cancel.current?.focus();
    else if (wasAsking.current) first.current?.focus();
    wasAsking.current = asking;
  }, [asking]);
  if (!asking)
    return (
      <button
        type="button"
        class="danger"
        ref={first}
        aria-label={props.name}
        onClick={() => setAsking(true)}
      >
        {props.label}
      </button>
    );
  return (
    <fieldset class="confirm">
      <legend>{props.question}</legend>
      <button type="button" class="danger" disabled={props.busy} onClick={() => props.onConfirm()}>
        {props.confirmLabel}
      </button>{" "}
      <button type="button" class="secondary" ref={cancel} onClick={() => setAsking(false)}>
        Cancel
      </button>
    </fieldset>
  );
}
