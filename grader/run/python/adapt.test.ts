import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adaptPythonScript } from './adapt.ts';
import { need } from '../../../test/support/requirements.ts';

// The adapter parses scripts with python3's own ast module.
const noPython = await need('python3');

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

async function adapt(source: string, opts: { port: number; clip?: string } = { port: 20001, clip: '/clips/demo.mp4' }) {
  const dir = await mkdtemp(join(tmpdir(), 'avsock-adapt-'));
  made.push(dir);
  const script = join(dir, 'server.py');
  await writeFile(script, source);
  const r = await adaptPythonScript('python3', script, 't', opts);
  return { ...r, text: await readFile(r.path, 'utf8'), original: await readFile(script, 'utf8') };
}

describe.skipIf(noPython)('adaptPythonScript()', () => {
  it("rewrites the tutorial's lower-case settings and lists each change, leaving the original alone", async () => {
    const src = "host_ip = '192.168.1.21'#  socket.gethostbyname(host_name)\nport = 9688\nfilename =  'count.mp4'\ns.bind((host_ip, port - 1))\n";
    const r = await adapt(src);
    expect(r.text).toBe(
      'host_ip = \'127.0.0.1\'#  socket.gethostbyname(host_name)\nport = 20001\nfilename =  "/clips/demo.mp4"\ns.bind((host_ip, port - 1))\n',
    );
    expect(r.original).toBe(src);
    expect(r.changes.map((c) => c.line)).toEqual([1, 2, 3]);
    expect(r.changes[1]).toMatchObject({ old: '9688', new: '20001' });
  });

  it('finds upper-case constants, a computed host and a port inside an argv default', async () => {
    const r = await adapt(
      "import socket, sys\nHOST = socket.gethostbyname(socket.gethostname())\nPORT = int(sys.argv[1]) if len(sys.argv) > 1 else 9999\nVIDEO_FILE = 'count.mp4'\n",
    );
    expect(r.text).toContain("HOST = '127.0.0.1'");
    expect(r.text).toContain('PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 20001');
    expect(r.text).toContain('VIDEO_FILE = "/clips/demo.mp4"');
  });

  it('keeps a second port at the same offset from the main one, and fixes literals written into bind()', async () => {
    const r = await adapt("VIDEO_PORT = 5000\nAUDIO_PORT = 5001\nu.bind(('0.0.0.0', 5000))\ncap = cv2.VideoCapture('movie.mkv')\n");
    expect(r.text).toContain('VIDEO_PORT = 20001');
    expect(r.text).toContain('AUDIO_PORT = 20002');
    expect(r.text).toContain("u.bind(('127.0.0.1', 20001))");
    expect(r.text).toContain('cv2.VideoCapture("/clips/demo.mp4")');
  });

  it('reports the window layout and picture width the script asks for', async () => {
    const r = await adapt("WIDTH = 320\nframe = imutils.resize(frame, width=WIDTH)\ncv2.moveWindow('TRANSMITTING VIDEO', 10, 30)\n");
    expect(r.facts.resizeWidth).toBe(320);
    expect(r.facts.windows).toEqual([{ title: 'TRANSMITTING VIDEO', x: 10, y: 30 }]);
  });

  it('copies a script that does not parse unchanged and says why; says when no port was found', async () => {
    const broken = await adapt('def f(:\n  pass\n');
    expect(broken.error).toMatch(/SyntaxError line 1/);
    expect(broken.text).toBe('def f(:\n  pass\n');
    const noPort = await adapt("print('hi')\n");
    expect(noPort.facts.noPort).toBe(true);
  });

  it('handles non-ASCII text before an edit on the same line (ast columns are UTF-8 bytes)', async () => {
    const r = await adapt("x = 'é'; port = 9688\n");
    expect(r.text).toBe("x = 'é'; port = 20001\n");
  });
});
