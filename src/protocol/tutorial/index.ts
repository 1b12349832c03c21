/** Byte-compatible with the tutorial's server.py / client.py. Layout: docs/PROTOCOL.md "Tutorial wire". */
export { MAX_TUTORIAL_DATAGRAM, MAX_TUTORIAL_JPEG, TUTORIAL_HELLO, TUTORIAL_FRAME_HINT, encodeTutorialFrame, decodeTutorialFrame } from './video-frame.ts';
export { pickleBytes, unpickleBytes } from './pickle.ts';
export { encodeTutorialAudio, decodeTutorialAudio, TutorialAudioDeframer, DEFAULT_MAX_TUTORIAL_MESSAGE } from './audio-message.ts';
