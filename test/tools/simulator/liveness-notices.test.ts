import { afterEach, describe, expect, it } from 'vitest';
import { makePng } from '../../../tools/simulator/images.js';
import { type LivenessCallNotice, type Simulator, startSimulator } from '../../../tools/simulator/server.js';

describe("the simulator's liveness call notices", () => {
  let simulator: Simulator | undefined;
  afterEach(async () => {
    await simulator?.stop();
    simulator = undefined;
  });

  const call = async (s: Simulator, fileName: string) => {
    const login = await fetch(`${s.baseUrl}/api/token/`, {
      method: 'POST',
      body: new URLSearchParams({ username: s.username, password: s.password }),
    });
    const { access } = (await login.json()) as { access: string };
    const form = new FormData();
    const image = makePng({ width: 300, height: 300, seed: 1 }) as Uint8Array<ArrayBuffer>;
    form.append('selfie', new Blob([image], { type: 'image/png' }), fileName);
    const response = await fetch(`${s.baseUrl}/api/v3/biometrics/liveness/`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${access}` },
    }).catch(() => undefined);
    await response?.text();
    return response?.status;
  };

  it('tells a check received and answered, in that order, with the answer handed over before its client reads it', async () => {
    const notices: (LivenessCallNotice & { read: boolean })[] = [];
    let read = false;
    simulator = await startSimulator({ onLivenessCall: (notice) => notices.push({ ...notice, read }) });
    expect(await call(simulator, 'check-a.png')).toBe(200);
    read = true;
    expect(notices).toEqual([
      { checkId: 'check-a', phase: 'received', read: false },
      { checkId: 'check-a', phase: 'answered', read: false },
    ]);
  });

  it('tells a faulted call received and never answered', async () => {
    const notices: LivenessCallNotice[] = [];
    simulator = await startSimulator({ onLivenessCall: (notice) => notices.push(notice) });
    simulator.control.script(
      { type: 'status', status: 500, endpoint: 'liveness' },
      { type: 'drop', endpoint: 'liveness' },
    );
    expect(await call(simulator, 'check-b.jpg')).toBe(500);
    expect(await call(simulator, 'check-c.jpg')).toBeUndefined();
    expect(notices).toEqual([
      { checkId: 'check-b', phase: 'received' },
      { checkId: 'check-c', phase: 'received' },
    ]);
  });
});
