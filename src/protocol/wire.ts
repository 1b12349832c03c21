/** The two wire formats (docs/PROTOCOL.md): avsock's own binary format, and the tutorial's bytes. */
export type Wire = 'framed' | 'tutorial';

export const WIRES: readonly Wire[] = ['framed', 'tutorial'];
