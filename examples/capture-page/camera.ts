/** The front camera, through `getUserMedia`. */
import type { Picture } from './prepare-image.js';

/** Starts the front camera into a video element; resolves once frames arrive. */
export async function startCamera(video: HTMLVideoElement): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia)
    throw new Error('this browser has no camera access (it needs https)');
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: 'user', width: { ideal: 1280 }, height: { ideal: 960 } },
  });
  video.srcObject = stream;
  await video.play();
  return stream;
}

/** Stops every track, which turns the camera light off. */
export function stopCamera(stream: MediaStream | undefined, video: HTMLVideoElement): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
  video.srcObject = null;
}

/** The current frame, as the camera sees it (not mirrored like the preview). */
export function currentFrame(video: HTMLVideoElement): Picture {
  return { source: video, width: video.videoWidth, height: video.videoHeight };
}
