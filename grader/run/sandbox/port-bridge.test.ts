import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { need, skipFor } from '../../../test/support/requirements.ts';
import { bridgePort } from './port-bridge.ts';
import { detectSandbox, SubmissionSandbox } from './sandbox.ts';
import { launch } from '../launch/launch.ts';

const support = detectSandbox();
const noSandbox = (await need('bwrap', 'python3')) ?? (support.ok ? undefined : skipFor('bwrap', support.reason ?? 'cannot make a sandbox'));

describe.skipIf(noSandbox)('bridgePort()', () => {
  it("serves a page from inside the sandbox on the grader's loopback, and nothing after close()", async () => {
    const box = await SubmissionSandbox.open({ writable: [], readable: [] });
    const page = launch(
      'http',
      '/usr/bin/python3',
      [
        '-u',
        '-c',
        "import http.server as h\nclass H(h.BaseHTTPRequestHandler):\n  def do_GET(s):\n    s.send_response(200); s.end_headers(); s.wfile.write(b'inside the sandbox')\nsrv = h.HTTPServer(('127.0.0.1', 47002), H)\nprint('serving', flush=True)\nsrv.serve_forever()",
      ],
      { cwd: '/', wrap: box.untrusted() },
    );
    const get = (port: number): Promise<string> =>
      new Promise((resolve, reject) => {
        http
          .get(`http://127.0.0.1:${port}/`, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve(body));
          })
          .on('error', reject);
      });
    try {
      await page.out.waitForLine(/serving/, 30_000);
      // Not reachable from here directly: it listens in the sandbox's own loopback.
      await expect(get(47002)).rejects.toThrow(/ECONNREFUSED/);
      const bridge = await bridgePort(box.joinNetwork, 47002);
      expect(await get(bridge.port)).toBe('inside the sandbox');
      expect(await get(bridge.port)).toBe('inside the sandbox');
      await bridge.close();
      await expect(get(bridge.port)).rejects.toThrow(/ECONNREFUSED|ECONNRESET|socket hang up/);
    } finally {
      await page.handle.stop();
      await box.close();
    }
  });
});
