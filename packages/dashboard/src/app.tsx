import { useEffect, useState } from "preact/hooks";
import { currentSession, describeError, SESSION_ENDED, type Session, signOut } from "./api.ts";
import { SignIn } from "./pages/sign-in.tsx";
import { match, useRoute } from "./router.ts";
import { NAV, ROUTES } from "./routes.tsx";

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    currentSession().then(setSession, (err) => setError(describeError(err)));
    const ended = () => setSession(null);
    window.addEventListener(SESSION_ENDED, ended);
    return () => window.removeEventListener(SESSION_ENDED, ended);
  }, []);
  if (error)
    return (
      <main class="signin">
        <p class="error" role="alert">
          {error}
        </p>
      </main>
    );
  if (session === undefined) return <main class="signin" aria-busy="true" />;
  if (session === null) return <SignIn onSignedIn={setSession} />;
  return <Shell session={session} onSignedOut={() => setSession(null)} />;
}

function Shell(props: { session: Session; onSignedOut: () => void }) {
  const path = useRoute();
  const [signOutError, setSignOutError] = useState<string | null>(null);
  let content = null;
  for (const r of ROUTES) {
    const params = match(r.pattern, path);
    if (params) {
      content = <r.page {...params} path={path} session={props.session} />;
      break;
    }
  }
  // A new page moves focus to its heading, so keyboard and screen-reader users start at the top of it.
  useEffect(() => {
    document.getElementById("page-title")?.focus();
  }, [path.split("?")[0]]);
  const section = "/" + (path.split("/")[1] ?? "").split("?")[0];
  return (
    <div class="shell">
      {/* The hash is the router's, so skipping to the content moves focus instead of following a link. */}
      <button type="button" class="skip" onClick={() => document.getElementById("main")?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">Postbox</span>
        <span class="muted account" title={props.session.account_id}>
          account {props.session.account_id.slice(0, 8)}
        </span>
        <button
          type="button"
          class="link"
          onClick={async () => {
            try {
              await signOut();
              props.onSignedOut();
            } catch (err) {
              setSignOutError(describeError(err));
            }
          }}
        >
          Sign out
        </button>
        {signOutError ? <span class="error">{signOutError}</span> : null}
      </header>
      <nav class="side" aria-label="Sections">
        <ul>
          {NAV.map((n) => (
            <li key={n.href}>
              <a href={`#${n.href}`} aria-current={section === n.href ? "page" : undefined}>
                {n.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" class="content" tabIndex={-1}>
        {content ?? (
          <section class="page">
            <h1 id="page-title" tabIndex={-1}>
              Not found
            </h1>
            <p>There is no page at {path}.</p>
          </section>
        )}
      </main>
    </div>
  );
}
