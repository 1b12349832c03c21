/**
 * Whether a child process reads the pipes we hand it beyond stdin/stdout/stderr as fd 3, 4 …
 *
 * - POSIX (Linux, macOS): yes, they are plain inherited file descriptors (ffmpeg's `pipe:3`).
 * - Windows: Node passes them through the C runtime's handle-inheritance block, which only a
 *   program linked against a matching C runtime turns back into fd 3; ffmpeg builds differ, so
 *   there the media layer runs one ffmpeg per output instead.
 *
 * The platform is a parameter so both branches are tested on any OS.
 */
export function childReadsExtraPipes(platform: NodeJS.Platform = process.platform): boolean {
  return platform !== 'win32';
}
