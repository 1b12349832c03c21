/**
 * The tutorial's wire, probe side: UDP b'Hello' (client.py sends it before connecting TCP), one
 * base64 JPEG per datagram, audio as an 8-byte length + pickle.dumps(bytes). No sequence numbers,
 * so the wire cannot count loss: the analysis infers it from the clip's frame-number strip.
 */
import { TUTORIAL_HELLO, TutorialAudioDeframer, decodeTutorialFrame } from '../../../src/protocol/tutorial/index.ts';
import { MAX_MESSAGE_BYTES, type AudioDecoder, type ProbeWire, type VideoDecoder } from './types.ts';

function tutorialVideo(): VideoDecoder {
  return {
    push(datagram) {
      try {
        const jpeg = decodeTutorialFrame(datagram);
        if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return { garbage: 'tutorial datagram is base64 but not a JPEG' };
        return { frame: { jpeg } };
      } catch (error) {
        return { garbage: `tutorial datagram: ${(error as Error).message}` };
      }
    },
    loss: () => undefined,
  };
}

function tutorialAudio(): AudioDecoder {
  const deframer = new TutorialAudioDeframer({ maxMessageBytes: MAX_MESSAGE_BYTES });
  return {
    push(chunk) {
      const { messages, error } = deframer.push(chunk);
      return { messages: messages.map((pcm) => ({ pcm })), ...(error ? { error: `tutorial audio stream: ${error.message}` } : {}) };
    },
  };
}

export const tutorialWire: ProbeWire = {
  name: 'tutorial',
  registration: 'until-first-frame',
  // client.py opens PyAudio with rate=44100, channels=2, 16-bit: the wire carries no format.
  audioBytesPerSecond: 44_100 * 2 * 2,
  hello: () => TUTORIAL_HELLO,
  video: tutorialVideo,
  audio: tutorialAudio,
};
