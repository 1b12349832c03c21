import { describe, expect, it } from 'vitest';
import { frameTimingOptions, parseFfmpegFeatures } from './ffmpeg-features.ts';

// Trimmed from the real outputs of the two ffmpegs avsock meets: the npm-shipped static build
// (banner "N-47683-…", a 4.1 snapshot) and Debian 12's 5.1.
const NPM_41_VERSION = `ffmpeg version N-47683-g0e8eb07980-static https://johnvansickle.com/ffmpeg/  Copyright (c) 2000-2018 the FFmpeg developers
libavutil      56. 24.101 / 56. 24.101
libavcodec     58. 40.100 / 58. 40.100
`;
const NPM_41_HELP = `-vsync              video sync method
-async              audio sync method
`;
const DEBIAN_51_VERSION = `ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026 the FFmpeg developers
libavutil      57. 28.100 / 57. 28.100
`;
const DEBIAN_51_HELP = `-vsync              set video sync method globally; deprecated, use -fps_mode
-fps_mode           set framerate mode for matching video streams; overrides vsync
`;

describe('parseFfmpegFeatures()', () => {
  it('reads the npm-shipped snapshot as generation 4 without -fps_mode, though its banner has no number', () => {
    const f = parseFfmpegFeatures('/x/ffmpeg', NPM_41_VERSION, NPM_41_HELP);
    expect(f).toEqual({ path: '/x/ffmpeg', generation: 4, libavutil: '56.24', fpsMode: false });
  });

  it('reads Debian 12 as generation 5 with -fps_mode', () => {
    const f = parseFfmpegFeatures('ffmpeg', DEBIAN_51_VERSION, DEBIAN_51_HELP);
    expect(f).toEqual({ path: 'ffmpeg', generation: 5, libavutil: '57.28', fpsMode: true });
  });

  it('leaves the generation unknown when no libavutil line is printed', () => {
    expect(parseFfmpegFeatures('ffmpeg', 'ffmpeg version ?', '').generation).toBeUndefined();
  });
});

describe('frameTimingOptions()', () => {
  it('spells the frame timing -fps_mode where it exists and -vsync before', () => {
    expect(frameTimingOptions({ fpsMode: true }, 'vfr')).toEqual(['-fps_mode', 'vfr']);
    expect(frameTimingOptions({ fpsMode: false }, 'vfr')).toEqual(['-vsync', 'vfr']);
    expect(frameTimingOptions({ fpsMode: false }, 'cfr')).toEqual(['-vsync', 'cfr']);
  });
});
