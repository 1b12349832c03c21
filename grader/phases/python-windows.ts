/**
 * Where a Python submission's OpenCV windows are on the grader's screen: the picture width and
 * window positions its own scripts ask for (cv2.moveWindow, imutils.resize width), else the
 * tutorial's, and the clip's aspect ratio.
 */
import { DEMO_CLIP } from '../../src/media/clips.ts';
import { probeMedia } from '../../src/media/probe.ts';
import type { PythonFacts } from '../run/python/adapt.ts';
import { TUTORIAL_WINDOWS, tutorialWindowRegions, type WindowLayout, type WindowRegion } from '../screenshot/opencv.ts';

export function layoutFrom(facts: PythonFacts | undefined): WindowLayout {
  const at = (title: string, fallback: { x: number; y: number }): { x: number; y: number } => {
    const w = facts?.windows.find((x) => x.title === title);
    return w && Number.isInteger(w.x) && Number.isInteger(w.y) && w.x >= 0 && w.y >= 0 ? { x: w.x, y: w.y } : fallback;
  };
  const width = facts?.resizeWidth && facts.resizeWidth >= 16 ? facts.resizeWidth : TUTORIAL_WINDOWS.width;
  return { width, server: at('TRANSMITTING VIDEO', TUTORIAL_WINDOWS.server), client: at('RECEIVING VIDEO', TUTORIAL_WINDOWS.client) };
}

export async function pythonWindowRegions(clip: string, facts: PythonFacts | undefined, clientFacts?: PythonFacts): Promise<WindowRegion[]> {
  const v = (await probeMedia(clip).catch(() => undefined))?.video;
  const layout = layoutFrom(facts);
  const client = clientFacts?.windows.find((x) => x.title === 'RECEIVING VIDEO');
  return tutorialWindowRegions(
    v?.width ?? DEMO_CLIP.width,
    v?.height ?? DEMO_CLIP.height,
    client ? { ...layout, client: { x: client.x, y: client.y } } : layout,
  );
}
