/** Complete figure records for unit tests of scoring and reports: good values, overridden per test. */
import type { ServerFigures } from '../measure/server-figures.ts';
import type { ClientFigures, Figures, StreamFigures } from '../score/figure-record.ts';

export function serverFigures(o: Partial<ServerFigures> = {}): ServerFigures {
  return {
    framesReceived: 240,
    framesInWindow: 210,
    windowSeconds: 7,
    fps: 30,
    sourceFps: 30,
    fpsErrorPct: 0,
    perSecondFpsMin: 30,
    perSecondFpsMax: 30,
    jitterMs: 0.5,
    jitterP50Ms: 0.3,
    jitterP99Ms: 2,
    intervalP50Ms: 33.3,
    intervalP99Ms: 35,
    freezeCount: 0,
    freezeTotalMs: 0,
    driftMaxMs: 5,
    driftEndMs: 1,
    audioSeconds: 8,
    rate: 1,
    leadMaxMs: 100,
    paced: true,
    wire: 'tutorial',
    avOffsetMs: 10,
    avSync: { pairs: 7, offsetMs: 10, maxAbsMs: 15, spreadMs: 5, ptsOffsetMs: Number.NaN, flashes: 7, beeps: 7, unidentified: 0 },
    avTimestampOffsetMs: Number.NaN,
    datagrams: 240,
    garbageDatagrams: 0,
    datagramsLost: 0,
    framesIncomplete: 0,
    startS: 0.3,
    lastFrameS: 7,
    aliveS: 7,
    aliveRatio: 1,
    longestStallMs: 40,
    framesMissing: 0,
    framesRepeated: 0,
    audioStartS: 0.2,
    audioDriftMs: 0,
    audioHeldBackPct: 0,
    audioUnderruns: 0,
    audioUnderrunMs: 0,
    avPairs: 7,
    avMaxAbsMs: 15,
    avSpreadMs: 5,
    avPtsOffsetMs: Number.NaN,
    reasons: {},
    ...o,
  };
}

export function streamFigures(o: Partial<StreamFigures> = {}): StreamFigures {
  return { video: true, audio: true, ok: true, videoSeconds: 8, longestGapS: 0.04, ...o };
}

export function clientFigures(o: Partial<ClientFigures> = {}): ClientFigures {
  return {
    measuredFrom: 'test',
    running: true,
    windowLive: true,
    framesReceived: 180,
    fps: 30,
    sentFps: 30,
    fpsErrorPct: 0,
    audioSeconds: 6,
    listenedSeconds: 6,
    audioRatio: 1,
    ...o,
  };
}

export function allFigures(o: Partial<Figures> = {}): Figures {
  return { server: serverFigures(), stream: streamFigures(), client: clientFigures(), screenshot: { ok: true }, ...o };
}
