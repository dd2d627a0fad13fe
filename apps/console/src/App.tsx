import { useCallback, useEffect, useState } from 'react';
import { MeSchema, type Me } from '@wharf/core';
import { api, session } from './api.js';
import { SignIn } from './SignIn.js';
import { Setup } from './Setup.js';
import { Flags } from './Flags.js';
import { Plugins } from './Plugins.js';
import { Audit } from './Audit.js';
import { Sources } from './Sources.js';
import { Rollouts } from './Rollouts.js';
import { Snapshots } from './Snapshots.js';
import { Gate } from './Gate.js';
import { Tokens, Users } from './Users.js';
import { Moderation } from './Moderation.js';

/** The screens, each shown to whoever holds its read permission. */
const SCREENS = [
  { id: 'plugins', title: 'Plugins', permission: null },
  { id: 'flags', title: 'Flags', permission: 'flags.read' },
  { id: 'rollouts', title: 'Rollouts', permission: 'rollouts.read' },
  { id: 'snapshots', title: 'Snapshots', permission: 'snapshots.history' },
  { id: 'sources', title: 'Source', permission: 'sources.read' },
  { id: 'gate', title: 'Version gate', permission: 'release.read' },
  { id: 'moderation', title: 'Moderation', permission: 'moderation.read' },
  { id: 'users', title: 'Users', permission: 'users.read' },
  { id: 'audit', title: 'Audit log', permission: 'audit.read' },
  { id: 'tokens', title: 'Your tokens', permission: null },
] as const;
type ScreenId = (typeof SCREENS)[number]['id'];

export function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(true);
  const [chosen, setScreen] = useState<ScreenId | null>(null);
  const onSetup = location.pathname.replace(/\/+$/, '') === '/cp/setup';

  const signedIn = useCallback(async (token: string) => {
    const who = await api(MeSchema, 'GET', '/api/v1/me', undefined, token);
    session.set(token);
    setMe(who);
    history.replaceState(null, '', '/cp/');
  }, []);

  useEffect(() => {
    const token = session.token();
    if (!token || onSetup) return setChecking(false);
    api(MeSchema, 'GET', '/api/v1/me')
      .then(setMe, () => session.clear())
      .finally(() => setChecking(false));
  }, [onSetup]);

  const signOut = async () => {
    // A password session's token is revoked; a token pasted in is only forgotten here.
    await api(null, 'DELETE', '/api/v1/sessions/current').catch(() => undefined);
    session.clear();
    setMe(null);
  };

  if (checking) return <p className="loading">Loading…</p>;
  if (onSetup && !me) return <Setup onDone={signedIn} />;
  if (!me) return <SignIn onDone={signedIn} />;

  // Only the screens the caller's permissions allow are offered; the first is shown until another is chosen.
  const visible = SCREENS.filter((s) => s.permission === null || me.permissions.includes(s.permission));
  const screen = chosen ?? visible[0]!.id;
  return (
    <div className="shell">
      <header>
        <strong className="brand">Wharf</strong>
        <nav aria-label="Screens">
          {visible.map((s) => (
            <button key={s.id} type="button" aria-current={screen === s.id ? 'page' : undefined} onClick={() => setScreen(s.id)}>
              {s.title}
            </button>
          ))}
        </nav>
        <span className="who" data-testid="who">
          {me.name} · {me.role}
          {me.readonly ? ' · read-only' : ''}
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        {visible.some((s) => s.id === screen) ? (
          <>
            {screen === 'plugins' && <Plugins me={me} />}
            {screen === 'flags' && <Flags me={me} />}
            {screen === 'rollouts' && <Rollouts me={me} />}
            {screen === 'snapshots' && <Snapshots me={me} />}
            {screen === 'sources' && <Sources me={me} />}
            {screen === 'gate' && <Gate me={me} />}
            {screen === 'moderation' && <Moderation me={me} />}
            {screen === 'users' && <Users />}
            {screen === 'audit' && <Audit />}
            {screen === 'tokens' && <Tokens me={me} />}
          </>
        ) : (
          <p role="alert" className="error">
            Your role ({me.role}) may not see this screen.
          </p>
        )}
      </main>
    </div>
  );
}
