import { useState } from "preact/hooks";
import { describeError, type Session, signIn } from "../api.ts";

/** Sign-in with an admin key: the key goes to the server once and comes back as an httpOnly cookie. */
export function SignIn(props: { onSignedIn: (s: Session) => void }) {
  const [key, setKey] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <main class="signin">
      <form
        class="card"
        aria-labelledby="signin-title"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            const session = await signIn(key.trim());
            setKey("");
            props.onSignedIn(session);
          } catch (err) {
            setError(describeError(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1 id="signin-title">Postbox</h1>
        <p class="muted">Sign in with an admin API key. Agent keys cannot sign in.</p>
        <div class="field">
          <label for="api-key">Admin API key</label>
          <input
            id="api-key"
            name="api-key"
            type="password"
            autocomplete="off"
            required
            value={key}
            onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          />
        </div>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
