/**
 * Everything the grader measured, as one typed record, and the list of figure names a rubric may
 * score. A rubric naming anything else is refused when it is loaded (a typo would otherwise score 0
 * for every student). A figure that could not be measured is absent from `missing`'s point of view:
 * `figureValue` returns undefined and `reasons` says why, so no item ever passes on a default.
 */
import { SERVER_FIGURE_NAMES, type ServerFigures } from '../measure/server-figures.ts';

/** Whole-window judgement of the server's stream (see judge.ts). */
export interface StreamFigures {
  /** Video arrived for the whole window with no gap over the stall limit. */
  video: boolean;
  /** Sound arrived (at least `minAudioSeconds`). */
  audio: boolean;
  /** Both, for the whole window: the "streams video and audio" item. */
  ok: boolean;
  /** Seconds from the first frame to the last one (or to the window's end). */
  videoSeconds: number;
  /** The longest gap between two frames, s. */
  longestGapS: number;
  /** Why `ok` is false (one line, with the server's last output when it died). */
  reason?: string;
}

/** The student's client, judged by what it showed and played against what it was sent. */
export interface ClientFigures {
  /** How the figures were taken (for the report). */
  measuredFrom: string;
  /** Kept running without a traceback for the whole run. */
  running: boolean;
  /** Its window showed changing pictures (null: no screen to look at). */
  windowLive: boolean | null;
  framesReceived: number;
  /** Frames per second the client reports or shows. */
  fps: number;
  /** Frames per second the reference server really sent to it (its status lines). */
  sentFps: number;
  /** (fps − sentFps) / sentFps × 100: the client's own loss or slowness, not the server's rate. */
  fpsErrorPct: number;
  /** Seconds of sound it played. */
  audioSeconds: number;
  /** Seconds it listened. */
  listenedSeconds: number;
  /** audioSeconds / listenedSeconds. */
  audioRatio: number;
  framesLost?: number;
  framesLate?: number;
  jitterMs?: number;
  avOffsetMs?: number;
  /** Seconds its window showed nothing new before the run ended (watched windows only). */
  frozenAtEndS?: number;
  problem?: string;
}

export interface ScreenshotFigures {
  ok: boolean;
}

/** One network profile of the robustness phase: the client and the server, each through the relay. */
export interface RobustnessRun {
  /** The profile's name or spec, as the rubric gives it. */
  profile: string;
  client?: {
    running: boolean;
    /** Frames it showed ÷ frames the relay delivered whole. */
    shownShare: number;
    audioRatio: number;
    /** What the relay did on the way (datagrams dropped, cut short, duplicated, held back; frames whole). */
    relay: string;
    problem?: string;
  };
  server?: {
    /** Frames offered per second ÷ the clip's rate, over the window (0 when it stopped). */
    keepsPace: number;
    relay: string;
    problem?: string;
  };
}

/** The submission through impaired networks (the rubric's robustness profiles): the worst over the profiles. */
export interface RobustnessFigures {
  /** The client kept running, without a traceback, through every profile. */
  clientRunning: boolean;
  clientShownShare: number;
  clientAudioRatio: number;
  serverKeepsPace: number;
  runs: RobustnessRun[];
}

export interface Figures {
  server: ServerFigures | null;
  stream: StreamFigures | null;
  client: ClientFigures | null;
  screenshot: ScreenshotFigures;
  /** Absent when the rubric's robustness phase is off. */
  robustness?: RobustnessFigures | null;
}

const STREAM_FIGURE_NAMES = ['video', 'audio', 'ok', 'videoSeconds', 'longestGapS'] as const satisfies ReadonlyArray<keyof StreamFigures>;

const CLIENT_FIGURE_NAMES = [
  'running',
  'windowLive',
  'framesReceived',
  'fps',
  'sentFps',
  'fpsErrorPct',
  'audioSeconds',
  'listenedSeconds',
  'audioRatio',
  'framesLost',
  'framesLate',
  'jitterMs',
  'avOffsetMs',
] as const satisfies ReadonlyArray<keyof ClientFigures>;

const ROBUSTNESS_FIGURE_NAMES = ['clientRunning', 'clientShownShare', 'clientAudioRatio', 'serverKeepsPace'] as const satisfies ReadonlyArray<
  keyof RobustnessFigures
>;

/** A figure a rubric may score, spelled `section.name`: derived from the lists above, so a typo is a type error. */
export type FigureName =
  | `server.${(typeof SERVER_FIGURE_NAMES)[number]}`
  | `stream.${(typeof STREAM_FIGURE_NAMES)[number]}`
  | `client.${(typeof CLIENT_FIGURE_NAMES)[number]}`
  | `robustness.${(typeof ROBUSTNESS_FIGURE_NAMES)[number]}`
  | 'screenshot.ok';

/** Every figure a rubric may score: the probe's server figures (measure/server-figures.ts), the stream's judgement, the client's, the robustness phase's, the screenshot. */
export const FIGURE_NAMES: readonly FigureName[] = Object.freeze([
  ...SERVER_FIGURE_NAMES.map((n) => `server.${n}` as const),
  ...STREAM_FIGURE_NAMES.map((n) => `stream.${n}` as const),
  ...CLIENT_FIGURE_NAMES.map((n) => `client.${n}` as const),
  ...ROBUSTNESS_FIGURE_NAMES.map((n) => `robustness.${n}` as const),
  'screenshot.ok' as const,
]);

const KNOWN: ReadonlySet<string> = new Set<string>(FIGURE_NAMES);

export function isFigureName(name: string): name is FigureName {
  return KNOWN.has(name);
}

/** The value of a known figure, or undefined when its section was not measured. */
export function figureValue(f: Figures, name: FigureName): unknown {
  const dot = name.indexOf('.');
  const section = name.slice(0, dot) as keyof Figures;
  const key = name.slice(dot + 1);
  const record = f[section] as object | null | undefined;
  if (!record || !KNOWN.has(name)) return undefined;
  return (record as Record<string, unknown>)[key];
}

/** A figure counts as measured only when it is a finite number, a boolean or a string. */
export function isMeasured(v: unknown): boolean {
  return typeof v === 'boolean' || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}
