/**
 * A virtual screen for programs that open windows when nobody is looking (the grader, CI), per OS:
 *
 * - Linux (and other X11 systems): Xvfb, found through PATH (Debian/Ubuntu `xvfb`, Fedora
 *   `xorg-x11-server-Xvfb`; never assume /usr/bin), and `xvfb-run` to wrap one command in a
 *   throw-away one. OpenCV's highgui draws through GTK/X11 there, so its windows land on it.
 * - macOS: OpenCV and Chromium draw through Cocoa, not X11, so even XQuartz's Xvfb would stay empty:
 *   windows open on the logged-in desktop; a headless runner has none to grab.
 * - Windows: the same with Win32 windows; a CI runner has an (invisible) interactive desktop.
 *
 * The host is injected so every branch is tested on any OS.
 */
import { which, realWhichHost, type WhichHost } from './which.ts';

export type VirtualDisplayTool = 'Xvfb' | 'xvfb-run';

/** Found: the path to run. Missing: one line saying why and what to install. */
export type Found = { readonly path: string; readonly missing?: undefined } | { readonly path?: undefined; readonly missing: string };

const LINUX_INSTALL = 'sudo apt install xvfb xauth (Fedora: sudo dnf install xorg-x11-server-Xvfb)';

/** The package command that brings Xvfb and xvfb-run. */
export function xvfbInstallHint(): string {
  return LINUX_INSTALL;
}

export function findVirtualDisplayTool(tool: VirtualDisplayTool, host: WhichHost = realWhichHost): Found {
  if (host.platform === 'darwin') return { missing: `${tool}: macOS windows (Cocoa) do not draw on an X server; they open on the desktop` };
  if (host.platform === 'win32') return { missing: `${tool}: Windows windows do not draw on an X server; they open on the desktop` };
  const path = which(tool, host);
  return path ? { path } : { missing: `${tool} not found on PATH; install it: ${LINUX_INSTALL}` };
}
