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

/**
 * The current frame, cut as the preview shows it: the video element's `object-fit: cover` crops
 * the stream to the element's aspect, centred, and the upload must be that very picture (a bystander
 * or a face smaller than in the preview would be checked otherwise). Not mirrored like the preview.
 */
export function currentFrame(video: HTMLVideoElement): Picture {
  const { videoWidth, videoHeight, clientWidth, clientHeight } = video;
  if (clientWidth === 0 || clientHeight === 0)
    return { source: video, width: videoWidth, height: videoHeight };
  const shown = clientWidth / clientHeight;
  const width = Math.min(videoWidth, Math.round(videoHeight * shown));
  const height = Math.min(videoHeight, Math.round(videoWidth / shown));
  return {
    source: video,
    x: Math.floor((videoWidth - width) / 2),
    y: Math.floor((videoHeight - height) / 2),
    width,
    height,
  };
}
