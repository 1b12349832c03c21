/**
 * `--net PROFILE|SPEC` on the three commands: an impairment relay in the path, its figures for the
 * windows and the status line, and its closing summary. The server puts it in front of itself, the
 * client (and `npm start`) between itself and the server.
 */
import { netRows, netStatus, netSummary } from '../net/describe.ts';
import { ImpairmentRelay, type RelayReport } from '../net/impairment-relay.ts';
import type { NetSetting } from '../net/spec.ts';
import { newDetectingFrameTagger } from '../wire/index.ts';
import type { SessionIo } from './sessions.ts';
import { waitWithin } from '../timing/wait.ts';

/** How long a stop waits for the video already decided to leave the relay (ms). */
const DRAIN_CAP_MS = 2000;

export interface NetSession {
  readonly relay: ImpairmentRelay;
  rows(): Record<string, string | number>;
  status(): string;
  /**
   * Stops passing video at the next frame's start and waits (within DRAIN_CAP_MS) until what was
   * decided has left: the relay's counts are final, and a receiver has been sent all it will get.
   */
  stopVideo(): Promise<RelayReport>;
  /** Prints the summary and closes the relay. Idempotent. */
  close(): Promise<RelayReport>;
}

export async function startNetSession(
  net: NetSetting,
  at: { listenHost: string; videoPort: number; audioPort: number; serverHost: string; serverVideoPort: number; serverAudioPort: number },
  io: SessionIo,
): Promise<NetSession> {
  const relay = await ImpairmentRelay.start({ ...at, net, newFrameTagger: newDetectingFrameTagger, log: io.log });
  io.log(
    `net: ${net.label} in the path — clients udp ${at.listenHost}:${relay.videoPort} tcp ${relay.audioPort} → server udp ${at.serverHost}:${at.serverVideoPort} tcp ${at.serverAudioPort}`,
  );
  let closing: Promise<RelayReport> | undefined;
  return {
    relay,
    rows: () => netRows(relay.report()),
    status: () => netStatus(relay.report()),
    async stopVideo() {
      await waitWithin(relay.stopVideo(), DRAIN_CAP_MS);
      return relay.report();
    },
    close() {
      closing ??= (async () => {
        const report = relay.report();
        io.log(netSummary(report));
        await relay.close();
        return report;
      })();
      return closing;
    },
  };
}
