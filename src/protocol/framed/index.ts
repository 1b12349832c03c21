/** avsock's own binary wire. Layout and semantics: docs/PROTOCOL.md. */
export { MAGIC, VERSION, MAX_FRAMED_DATAGRAM, MAX_UDP_PAYLOAD, TYPE_FRAGMENT, TYPE_HELLO, TYPE_HANDSHAKE, TYPE_AUDIO, TYPE_EOS } from './header.ts';
export { type VideoFragment, type FragmentPlace, encodeFragment, fragmentFrame, peekFragment, MAX_FRAGMENTS, FRAGMENT_HEADER_BYTES } from './video-fragment.ts';
export { type Hello, encodeHello, HELLO_BYTES } from './hello.ts';
export { type FramedDatagram, decodeDatagram } from './datagram.ts';
export { type Handshake, encodeHandshake, HANDSHAKE_BYTES } from './handshake.ts';
export { type AudioChunk, encodeAudioChunk, AUDIO_HEADER_BYTES } from './audio-chunk.ts';
export { type EndOfStream, encodeEndOfStream, EOS_BYTES } from './end-of-stream.ts';
export {
  type StreamMessage,
  type StreamDeframerOptions,
  encodeStreamMessage,
  decodeStreamMessage,
  StreamDeframer,
  DEFAULT_MAX_STREAM_MESSAGE,
  STREAM_HEADER_BYTES,
} from './stream.ts';
export { FrameReassembler, type FrameReassemblerOptions, type ReassembledFrame, type ReassemblerStats } from './reassembler.ts';
export { SequenceTracker, MAX_DROPOUT, MAX_MISORDER } from './sequence.ts';
