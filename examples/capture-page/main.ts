/**
 * The reference capture page: the front camera with a face-framing guide, or a picked photo; scaled
 * and encoded in the page to the pipeline's limits; uploaded with progress; then the verdict, with a
 * hint a person understands (client/hints.ts). It logs nothing: no token, upload form or image ever
 * reaches the console.
 *
 * An app that embeds it under the JWT authorizer defines, before this script runs,
 * `window.livenessCapture = { getToken: async () => idToken }`; every API call then carries
 * `Authorization: Bearer <token>`.
 *
 * After a pass, "Continue" hands `{ checkId, status }` to the host app: `livenessCapture.onDone`,
 * a `liveness:done` event on `window`, a message to the opener or parent (`hostOrigin` in the
 * config) and a visit to `returnUrl` when configured. Nothing after a pass starts another check.
 *
 * The way back after a verdict follows the way in: a retake opens the camera again, a photo to
 * replace opens the file picker; hints after a chosen photo never speak of the camera's oval.
 * "Choose a photo" is there only when the config's `allowPhoto` is on.
 */
import {
  ApiError,
  bearerToken,
  type CheckedSelfie,
  type CheckView,
  createLivenessClient,
  type Device,
  type Hint,
  type HintedReason,
  hintForCheck,
  hintForReason,
  type IssuedCheck,
  type LivenessClient,
  type PictureSource,
  REASON_HINTS,
  reasonForCameraError,
  reasonForError,
} from '../../client/index.js';
import { currentFrame, startCamera, stopCamera } from './camera.js';
import {
  CAPTURE_CONFIG_PATH,
  type CapturePageConfig,
  LIVENESS_DONE,
  type LivenessDone,
  type LivenessDoneMessage,
} from './config.js';
import { decodeFile, encodeSelfie } from './prepare-image.js';

declare global {
  interface Window {
    /** Set by an app that embeds the page: how to get the signed-in person's token. */
    livenessCapture?: {
      getToken?: () => string | Promise<string>;
      /** Called when the person continues after a pass. */
      onDone?: (done: LivenessDone) => void;
    };
  }
  interface WindowEventMap {
    [LIVENESS_DONE]: CustomEvent<LivenessDone>;
  }
}

type Step = 'start' | 'camera' | 'sending' | 'result';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

const ui = {
  steps: {
    start: element<HTMLElement>('step-start'),
    camera: element<HTMLElement>('step-camera'),
    sending: element<HTMLElement>('step-sending'),
    result: element<HTMLElement>('step-result'),
  } satisfies Record<Step, HTMLElement>,
  openCamera: element<HTMLButtonElement>('open-camera'),
  photoChoice: element<HTMLElement>('photo-choice'),
  pickFile: element<HTMLInputElement>('pick-file'),
  preview: element<HTMLVideoElement>('preview'),
  takePhoto: element<HTMLButtonElement>('take-photo'),
  closeCamera: element<HTMLButtonElement>('close-camera'),
  sendingTitle: element<HTMLElement>('sending-title'),
  progress: element<HTMLProgressElement>('progress'),
  sendingStatus: element<HTMLElement>('sending-status'),
  sendingPicture: element<HTMLImageElement>('sending-picture'),
  stopWaiting: element<HTMLButtonElement>('stop-waiting'),
  resultTitle: element<HTMLElement>('result-title'),
  resultText: element<HTMLElement>('result-text'),
  resultReason: element<HTMLElement>('result-reason'),
  supportCode: element<HTMLElement>('support-code'),
  resultPicture: element<HTMLImageElement>('result-picture'),
  continue: element<HTMLButtonElement>('continue'),
  checkAgain: element<HTMLButtonElement>('check-again'),
  again: element<HTMLButtonElement>('again'),
  otherWay: element<HTMLButtonElement>('other-way'),
};

/** Shows one step and moves keyboard and screen-reader focus to its heading. */
function show(step: Step): void {
  for (const [name, section] of Object.entries(ui.steps)) section.hidden = name !== step;
  // The stylesheet lays the camera step out to the screen's height.
  document.body.dataset.step = step;
  ui.steps[step].querySelector<HTMLElement>('h2')?.focus();
}

/** Where a result's button leads: the camera, the file picker, or the start screen. */
type Move = 'camera' | 'photo' | 'start';

interface Moves {
  primary: { move: Move; label: string };
  secondary?: { move: Move; label: string };
}

/** Whether the installation lets a person choose a photo instead of using the camera. */
let photoAllowed = false;
/** Where the last picture came from, so that hints and the way back follow the way in. */
let picture: PictureSource = 'camera';

const START_AGAIN = 'Start again';

/** The buttons of a result: by what the hint asks and by the way the person came. */
function movesFor(action: Hint['action'], reason: string): Moves {
  const photo = photoAllowed ? { move: 'photo' as const, label: 'Choose another photo' } : undefined;
  switch (action) {
    case 'retake':
    case 'spoof':
      return picture === 'camera'
        ? { primary: { move: 'camera', label: 'Retake the selfie' } }
        : { primary: { move: 'camera', label: 'Use the camera' }, ...(photo ? { secondary: photo } : {}) };
    case 'choose-another':
      return picture === 'photo' && photo
        ? { primary: photo, secondary: { move: 'camera', label: 'Use the camera' } }
        : { primary: { move: 'camera', label: 'Retake the selfie' } };
    case 'camera': {
      const retry = { move: 'camera' as const, label: 'Try the camera again' };
      const choose = photoAllowed ? { move: 'photo' as const, label: 'Choose a photo' } : undefined;
      // Without a camera, a photo is the way on; the camera may still be plugged in.
      if (reason === 'CAMERA_NOT_FOUND' && choose) return { primary: choose, secondary: retry };
      return { primary: retry, ...(choose ? { secondary: choose } : {}) };
    }
    case 'try-later':
      return { primary: { move: 'start', label: START_AGAIN } };
  }
}

/** What each result button does now. */
const moveOf = { again: 'start' as Move, otherWay: 'start' as Move };

/** The pass the person may continue with; `undefined` on any other screen. */
let passed: LivenessDone | undefined;

/** The page's own outcome for a check still open after the wait: not a hint, nothing went wrong. */
type Outcome = Hint['action'] | 'passed' | 'waiting';

/** The check being waited for, which "Check again" reads again. */
let waitingFor: string | undefined;

function showOutcome(outcome: Outcome, title: string, text: string, reason = ''): void {
  clearInterval(countdown);
  countdown = undefined;
  ui.again.disabled = false;
  ui.steps.result.dataset.outcome = outcome;
  ui.resultTitle.textContent = title;
  ui.resultText.textContent = text;
  // For support, labelled as such: the reason's stable name, which a person may read out.
  ui.supportCode.textContent = reason;
  ui.resultReason.hidden = reason === '';
  // The picture the verdict is about, once it reached the pipeline (not one refused before).
  ui.resultPicture.hidden = !(sent && uploaded);
  if (sent && uploaded) ui.resultPicture.src = sent;
  // After a pass, the only way on is the host app: another check would be paid for nothing.
  ui.continue.hidden = outcome !== 'passed';
  ui.continue.disabled = false;
  // While a check is open, only that check is read again: a new one would be a second paid check.
  ui.checkAgain.hidden = outcome !== 'waiting';
  const moves = outcome === 'passed' || outcome === 'waiting' ? undefined : movesFor(outcome, reason);
  ui.again.hidden = !moves;
  ui.otherWay.hidden = !moves?.secondary;
  if (moves) {
    ui.again.textContent = moves.primary.label;
    moveOf.again = moves.primary.move;
    if (moves.secondary) {
      ui.otherWay.textContent = moves.secondary.label;
      moveOf.otherWay = moves.secondary.move;
    }
  }
  show('result');
}

/** An object URL of the picture sent in this attempt; `undefined` before one was sent. */
let sent: string | undefined;
/** Whether that picture was uploaded: a verdict is about it. */
let uploaded = false;

/** A new attempt: the last attempt's picture is not shown again. */
function forgetSentPicture(): void {
  if (sent) URL.revokeObjectURL(sent);
  sent = undefined;
  uploaded = false;
  ui.sendingPicture.hidden = true;
  ui.sendingPicture.removeAttribute('src');
  ui.resultPicture.hidden = true;
  ui.resultPicture.removeAttribute('src');
}

/** What "try later" waits for when the API gave no `Retry-After`: the hints say "a few minutes". */
const TRY_LATER_DEFAULT_MS = 120_000;
/** Past this, no retry action at all: the hint says later today or tomorrow. */
const LONGEST_COUNTDOWN_MS = 15 * 60_000;
/** "Try later" situations that mean waiting, not an immediate retry (a connection or a sign-in may be fixed now). */
const WAIT_BEFORE_RETRY: ReadonlySet<string> = new Set([
  'RATE_LIMITED',
  'CHECKS_UNAVAILABLE',
  ...Object.entries(REASON_HINTS)
    .filter(([, hint]) => hint.text === REASON_HINTS.VENDOR_UNAVAILABLE.text)
    .map(([reason]) => reason),
]);

let countdown: ReturnType<typeof setInterval> | undefined;

/** Keeps "Start again" disabled, with the time left on it, until `ms` from now; hides it past a long wait. */
function holdRetry(ms: number): void {
  if (ms > LONGEST_COUNTDOWN_MS) {
    ui.again.hidden = true;
    return;
  }
  const until = Date.now() + ms;
  const tick = () => {
    const left = Math.ceil((until - Date.now()) / 1000);
    if (left <= 0) {
      clearInterval(countdown);
      countdown = undefined;
      ui.again.disabled = false;
      ui.again.textContent = START_AGAIN;
      return;
    }
    ui.again.disabled = true;
    ui.again.textContent = `${START_AGAIN} in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  };
  tick();
  countdown = setInterval(tick, 1000);
}

/** `retryAfterMs`: how long the API asked to wait, when it did. */
function showReason(reason: HintedReason | string, retryAfterMs?: number): void {
  const hint = hintForReason(reason, picture);
  showOutcome(hint.action, hint.title, hint.text, reason);
  holdRetryFor(reason, retryAfterMs);
}

/** "Start again" only once a retry may work: after `Retry-After`, a few minutes, or never today. */
function holdRetryFor(reason: string, retryAfterMs: number | undefined): void {
  if (reason === 'DAILY_LIMIT_REACHED') holdRetry(Number.POSITIVE_INFINITY);
  else if (retryAfterMs !== undefined && retryAfterMs > 0) holdRetry(retryAfterMs);
  else if (WAIT_BEFORE_RETRY.has(reason)) holdRetry(TRY_LATER_DEFAULT_MS);
}

/** The reason and `Retry-After` of an error the client threw. */
function showError(error: unknown): void {
  showReason(reasonForError(error), error instanceof ApiError ? error.retryAfterMs : undefined);
}

function showVerdict(check: CheckView): void {
  const hint = hintForCheck(check, picture);
  if (!hint) {
    passed = { checkId: check.checkId, status: 'PASSED' };
    showOutcome('passed', 'Selfie verified', 'Thank you: the check found a live person. You can continue.');
    return;
  }
  const reason = check.rejection?.reason ?? check.failure?.reason ?? check.status;
  showOutcome(hint.action, hint.title, hint.text, reason);
  holdRetryFor(reason, undefined);
}

/** Hands the pass to the host app, every way it may listen. */
function handOver(config: CapturePageConfig, done: LivenessDone): void {
  window.livenessCapture?.onDone?.(done);
  window.dispatchEvent(new CustomEvent(LIVENESS_DONE, { detail: done }));
  const host = window.opener ?? (window.parent === window ? null : window.parent);
  if (host && config.hostOrigin) {
    const message: LivenessDoneMessage = { type: LIVENESS_DONE, ...done };
    (host as Window).postMessage(message, config.hostOrigin);
  }
  if (config.returnUrl) {
    const target = new URL(config.returnUrl, document.baseURI);
    target.searchParams.set('checkId', done.checkId);
    target.searchParams.set('status', done.status);
    window.location.assign(target);
    return;
  }
  ui.continue.disabled = true;
  ui.resultText.textContent = 'Done: you can close this page.';
}

function deviceOf(userAgent: string): Device {
  if (/iPhone|iPad|iPod/.test(userAgent)) return 'IOS';
  if (/Android/.test(userAgent)) return 'ANDROID';
  return 'DESKTOP';
}

function setUploadProgress(percent: number): void {
  ui.progress.value = percent;
  ui.sendingStatus.textContent = `Uploaded: ${percent}%`;
}

async function send(client: LivenessClient, config: CapturePageConfig, selfie: CheckedSelfie): Promise<void> {
  forgetSentPicture();
  sent = URL.createObjectURL(selfie.blob);
  ui.sendingPicture.src = sent;
  ui.sendingPicture.hidden = false;
  ui.sendingTitle.textContent = 'Sending your selfie';
  ui.progress.setAttribute('aria-label', 'Upload');
  setUploadProgress(0);
  show('sending');
  let issued: IssuedCheck;
  try {
    issued = await client.createCheck({
      contentType: selfie.contentType,
      device: deviceOf(navigator.userAgent),
    });
    await client.upload(issued, selfie.blob, {
      onProgress: ({ loaded, total }) =>
        setUploadProgress(total > 0 ? Math.round((loaded / total) * 100) : 0),
    });
    uploaded = true;
  } catch (error) {
    showError(error);
    return;
  }
  await waitForVerdict(client, config, issued.checkId);
}

const DEFAULT_VERDICT_WAIT_MS = 60_000;
/** After this long, the page says the check takes longer than usual. */
const USUAL_VERDICT_MS = 10_000;

/**
 * Reads one check until its verdict, with the time waited as progress and "Stop waiting"; a wait
 * that ends without a verdict leaves the check open and offers to read it again.
 */
async function waitForVerdict(
  client: LivenessClient,
  config: CapturePageConfig,
  checkId: string,
): Promise<void> {
  waitingFor = checkId;
  const waitMs = config.verdictWaitMs ?? DEFAULT_VERDICT_WAIT_MS;
  const started = Date.now();
  const stop = new AbortController();
  const onStop = () => stop.abort(new DOMException('the person stopped waiting', 'AbortError'));
  ui.sendingTitle.textContent = 'Checking your selfie';
  ui.sendingStatus.textContent = 'This usually takes a few seconds.';
  ui.progress.setAttribute('aria-label', 'Time waited');
  ui.progress.value = 0;
  ui.stopWaiting.hidden = false;
  ui.stopWaiting.addEventListener('click', onStop, { once: true });
  show('sending');
  const ticker = setInterval(() => {
    const waited = Date.now() - started;
    ui.progress.value = Math.min(100, Math.round((waited / waitMs) * 100));
    if (waited >= USUAL_VERDICT_MS && ui.sendingStatus.dataset.slow !== 'true') {
      ui.sendingStatus.dataset.slow = 'true';
      ui.sendingStatus.textContent = 'This is taking longer than usual. Still checking…';
    }
  }, 250);
  try {
    showVerdict(await client.waitForVerdict(checkId, { timeoutMs: waitMs, signal: stop.signal }));
  } catch (error) {
    if (stop.signal.aborted || reasonForError(error) === 'STILL_CHECKING') {
      const hint = REASON_HINTS.STILL_CHECKING;
      showOutcome('waiting', hint.title, hint.text);
    } else {
      showError(error);
    }
  } finally {
    clearInterval(ticker);
    delete ui.sendingStatus.dataset.slow;
    ui.stopWaiting.hidden = true;
    ui.stopWaiting.removeEventListener('click', onStop);
  }
}

async function loadConfig(): Promise<CapturePageConfig> {
  const response = await fetch(new URL(CAPTURE_CONFIG_PATH.slice(1), document.baseURI));
  if (!response.ok) throw new Error(`the page's configuration answered ${response.status}`);
  return (await response.json()) as CapturePageConfig;
}

async function main(): Promise<void> {
  let config: CapturePageConfig;
  try {
    config = await loadConfig();
  } catch {
    showReason('CONNECTION_FAILED');
    return;
  }
  photoAllowed = config.allowPhoto === true;
  ui.photoChoice.hidden = !photoAllowed;
  const getToken = window.livenessCapture?.getToken;
  const client = createLivenessClient({
    baseUrl: config.apiUrl,
    ...(getToken ? { auth: bearerToken(getToken) } : {}),
  });
  let stream: MediaStream | undefined;
  const closeCamera = () => {
    stopCamera(stream, ui.preview);
    stream = undefined;
  };

  const openCamera = async () => {
    picture = 'camera';
    forgetSentPicture();
    ui.takePhoto.disabled = true;
    show('camera');
    try {
      stream = await startCamera(ui.preview);
      ui.takePhoto.disabled = false;
      ui.takePhoto.focus();
    } catch (error) {
      closeCamera();
      showReason(reasonForCameraError(error));
    }
  };
  // Opened from a click: browsers open a file picker only on a person's action.
  const go = (move: Move) => {
    if (move === 'camera') void openCamera();
    else if (move === 'photo') ui.pickFile.click();
    else show('start');
  };
  ui.openCamera.addEventListener('click', () => void openCamera());
  ui.closeCamera.addEventListener('click', () => {
    closeCamera();
    show('start');
  });
  ui.takePhoto.addEventListener('click', async () => {
    ui.takePhoto.disabled = true;
    let selfie: CheckedSelfie;
    try {
      // Encoded before the camera stops: the frame is the video's current one.
      selfie = await encodeSelfie(currentFrame(ui.preview), config.limits);
    } catch (error) {
      showError(error);
      return;
    } finally {
      closeCamera();
    }
    await send(client, config, selfie);
  });
  ui.pickFile.addEventListener('change', async () => {
    const file = ui.pickFile.files?.[0];
    ui.pickFile.value = '';
    if (!file || !photoAllowed) return;
    picture = 'photo';
    forgetSentPicture();
    let selfie: CheckedSelfie;
    try {
      selfie = await encodeSelfie(await decodeFile(file), config.limits);
    } catch (error) {
      showError(error);
      return;
    }
    await send(client, config, selfie);
  });
  ui.again.addEventListener('click', () => go(moveOf.again));
  ui.otherWay.addEventListener('click', () => go(moveOf.otherWay));
  ui.checkAgain.addEventListener('click', () => {
    if (waitingFor) void waitForVerdict(client, config, waitingFor);
  });
  ui.continue.addEventListener('click', () => {
    if (passed) handOver(config, passed);
  });
  show('start');
}

void main();
