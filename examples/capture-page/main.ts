/**
 * The reference capture page: the front camera with a face-framing guide, or a picked photo; scaled
 * and encoded in the page to the pipeline's limits; uploaded with progress; then the verdict, with a
 * hint a person understands (client/hints.ts). It logs nothing: no token, upload form or image ever
 * reaches the console.
 *
 * An app that embeds it under the JWT authorizer defines, before this script runs,
 * `window.livenessCapture = { getToken: async () => idToken }`; every API call then carries
 * `Authorization: Bearer <token>`.
 */
import {
  bearerToken,
  type CheckedSelfie,
  type CheckView,
  createLivenessClient,
  type Device,
  type Hint,
  type HintedReason,
  hintForCheck,
  hintForReason,
  type LivenessClient,
  reasonForError,
} from '../../client/index.js';
import { currentFrame, startCamera, stopCamera } from './camera.js';
import { CAPTURE_CONFIG_PATH, type CapturePageConfig } from './config.js';
import { decodeFile, encodeSelfie } from './prepare-image.js';

declare global {
  interface Window {
    /** Set by an app that embeds the page: how to get the signed-in person's token. */
    livenessCapture?: { getToken?: () => string | Promise<string> };
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
  pickFile: element<HTMLInputElement>('pick-file'),
  preview: element<HTMLVideoElement>('preview'),
  takePhoto: element<HTMLButtonElement>('take-photo'),
  closeCamera: element<HTMLButtonElement>('close-camera'),
  sendingTitle: element<HTMLElement>('sending-title'),
  progress: element<HTMLProgressElement>('progress'),
  sendingStatus: element<HTMLElement>('sending-status'),
  resultTitle: element<HTMLElement>('result-title'),
  resultText: element<HTMLElement>('result-text'),
  resultReason: element<HTMLElement>('result-reason'),
  again: element<HTMLButtonElement>('again'),
};

/** Shows one step and moves keyboard and screen-reader focus to its heading. */
function show(step: Step): void {
  for (const [name, section] of Object.entries(ui.steps)) section.hidden = name !== step;
  ui.steps[step].querySelector<HTMLElement>('h2')?.focus();
}

const AGAIN_LABELS: Record<Hint['action'] | 'passed', string> = {
  passed: 'Start again',
  retake: 'Retake the selfie',
  spoof: 'Retake the selfie',
  'choose-another': 'Try another photo',
  'try-later': 'Start again',
};

function showOutcome(outcome: Hint['action'] | 'passed', title: string, text: string, reason = ''): void {
  ui.steps.result.dataset.outcome = outcome;
  ui.resultTitle.textContent = title;
  ui.resultText.textContent = text;
  ui.resultReason.textContent = reason ? `Reason: ${reason}` : '';
  ui.again.textContent = AGAIN_LABELS[outcome];
  show('result');
}

function showReason(reason: HintedReason | string): void {
  const hint = hintForReason(reason);
  showOutcome(hint.action, hint.title, hint.text, reason);
}

function showVerdict(check: CheckView): void {
  const hint = hintForCheck(check);
  if (!hint) {
    showOutcome('passed', 'Selfie verified', 'Thank you: the check found a live person. You can continue.');
    return;
  }
  showOutcome(
    hint.action,
    hint.title,
    hint.text,
    check.rejection?.reason ?? check.failure?.reason ?? check.status,
  );
}

function deviceOf(userAgent: string): Device {
  if (/iPhone|iPad|iPod/.test(userAgent)) return 'IOS';
  if (/Android/.test(userAgent)) return 'ANDROID';
  return 'DESKTOP';
}

function setUploadProgress(percent: number): void {
  ui.progress.value = percent;
  ui.sendingStatus.textContent = `Uploading your selfie: ${percent}%`;
}

async function send(client: LivenessClient, selfie: CheckedSelfie): Promise<void> {
  ui.sendingTitle.textContent = 'Sending your selfie';
  setUploadProgress(0);
  show('sending');
  try {
    const issued = await client.createCheck({
      contentType: selfie.contentType,
      device: deviceOf(navigator.userAgent),
    });
    await client.upload(issued, selfie.blob, {
      onProgress: ({ loaded, total }) =>
        setUploadProgress(total > 0 ? Math.round((loaded / total) * 100) : 0),
    });
    ui.progress.removeAttribute('value'); // indeterminate while the check runs
    ui.sendingTitle.textContent = 'Checking your selfie';
    ui.sendingStatus.textContent = 'Checking your selfie: this usually takes a few seconds.';
    showVerdict(await client.waitForVerdict(issued.checkId));
  } catch (error) {
    showReason(reasonForError(error));
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

  ui.openCamera.addEventListener('click', async () => {
    ui.takePhoto.disabled = true;
    show('camera');
    try {
      stream = await startCamera(ui.preview);
      ui.takePhoto.disabled = false;
      ui.takePhoto.focus();
    } catch {
      closeCamera();
      showReason('CAMERA_UNAVAILABLE');
    }
  });
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
      showReason(reasonForError(error));
      return;
    } finally {
      closeCamera();
    }
    await send(client, selfie);
  });
  ui.pickFile.addEventListener('change', async () => {
    const file = ui.pickFile.files?.[0];
    ui.pickFile.value = '';
    if (!file) return;
    let selfie: CheckedSelfie;
    try {
      selfie = await encodeSelfie(await decodeFile(file), config.limits);
    } catch (error) {
      showReason(reasonForError(error));
      return;
    }
    await send(client, selfie);
  });
  ui.again.addEventListener('click', () => show('start'));
  show('start');
}

void main();
