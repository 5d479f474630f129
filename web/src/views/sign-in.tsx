import { useState } from 'preact/hooks';
import { Api } from '../api.js';
import { failureOf, type Said } from '../errors.js';
import type { Translator } from '../i18n/index.js';

/** Paste a token; it is checked against the API (GET /me) before it is kept. */
export function SignIn({ tr, expired, onSignedIn }: { tr: Translator; expired: boolean; onSignedIn: (token: string) => void }) {
  const [value, setValue] = useState('');
  const [failure, setFailure] = useState<Said | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const token = value.trim().replace(/^Bearer\s+/i, '');
    setBusy(true);
    try {
      await new Api(token, () => undefined).me();
      onSignedIn(token);
    } catch (error) {
      setFailure(() => failureOf(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="centered">
      <form class="card sign-in" onSubmit={submit}>
        <h1>{tr.t('signIn.heading')}</h1>
        {expired && <p role="alert">{tr.t('signIn.expired')}</p>}
        <p>{tr.t('signIn.intro')}</p>
        <label for="token">{tr.t('signIn.token')}</label>
        <textarea id="token" name="token" rows={4} required autocomplete="off" spellcheck={false} value={value} onInput={(event) => setValue((event.target as HTMLTextAreaElement).value)} />
        {failure !== null && (
          <p class="error" role="alert">
            {failure(tr)}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {tr.t('signIn.submit')}
        </button>
      </form>
    </main>
  );
}
