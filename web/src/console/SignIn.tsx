// Signing in: locally, the demo people and a field for a pasted token.
import { useState } from "preact/hooks";
import { authorizeUrl } from "./cognito";
import type { Config } from "./config";
import { type Session, signIn } from "./session";

export function SignIn({ config, onSignedIn }: { config: Config; onSignedIn: (s: Session) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const use = (value: string) => {
    const session = signIn(value);
    if (session) onSignedIn(session);
    else setError("That token cannot be read, or it has expired.");
  };
  if (config.sign_in.kind === "cognito") {
    const cognito = config.sign_in;
    return (
      <main class="sign-in">
        <h1>SayPro messaging console</h1>
        <p>Sign in with your SayPro staff account.</p>
        <button
          type="button"
          onClick={() => void authorizeUrl(cognito).then((url) => location.assign(url))}
        >
          Sign in
        </button>
      </main>
    );
  }
  const demo = config.sign_in.demo;
  return (
    <main class="sign-in">
      <h1>SayPro messaging console</h1>
      {demo.length > 0 && (
        <section aria-labelledby="demo-heading">
          <h2 id="demo-heading">Demo people</h2>
          <ul class="people">
            {demo.map((person) => (
              <li key={person.name}>
                <button type="button" onClick={() => use(person.token)}>
                  Sign in as {person.name}, {person.role}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          use(token);
        }}
      >
        <label for="token">Token</label>
        <textarea id="token" rows={3} value={token} onInput={(e) => setToken(e.currentTarget.value)} />
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
