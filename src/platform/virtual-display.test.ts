import { describe, expect, it } from 'vitest';
import { findVirtualDisplayTool } from './virtual-display.ts';
import type { WhichHost } from './which.ts';

const host = (platform: NodeJS.Platform, files: string[], PATH = '/usr/local/bin:/usr/bin'): WhichHost => ({
  platform,
  env: { PATH },
  isRunnable: (p) => files.includes(p),
});

describe('findVirtualDisplayTool()', () => {
  it('Linux: Xvfb and xvfb-run are found through PATH, wherever they are installed', () => {
    expect(findVirtualDisplayTool('Xvfb', host('linux', ['/usr/bin/Xvfb']))).toEqual({ path: '/usr/bin/Xvfb' });
    expect(findVirtualDisplayTool('xvfb-run', host('linux', ['/nix/profile/bin/xvfb-run'], '/nix/profile/bin:/usr/bin'))).toEqual({
      path: '/nix/profile/bin/xvfb-run',
    });
    expect(findVirtualDisplayTool('Xvfb', host('freebsd', ['/usr/local/bin/Xvfb']))).toEqual({ path: '/usr/local/bin/Xvfb' });
  });

  it('Linux without it: one line naming the packages to install', () => {
    expect(findVirtualDisplayTool('Xvfb', host('linux', []))).toEqual({
      missing: 'Xvfb not found on PATH; install it: sudo apt install xvfb xauth (Fedora: sudo dnf install xorg-x11-server-Xvfb)',
    });
  });

  it('macOS and Windows: none, even when an Xvfb is on PATH (their windows do not draw on X), and says where windows go', () => {
    const mac = findVirtualDisplayTool('Xvfb', host('darwin', ['/opt/X11/bin/Xvfb'], '/opt/X11/bin'));
    expect(mac.path).toBeUndefined();
    expect(mac.missing).toMatch(/^Xvfb: macOS .*desktop$/);
    const win = findVirtualDisplayTool('xvfb-run', host('win32', []));
    expect(win.path).toBeUndefined();
    expect(win.missing).toMatch(/^xvfb-run: Windows .*desktop$/);
  });
});
