/** An encoder and the peer's decoder joined directly: what one side writes, the other reads at once. */
import { type FieldLine, QpackDecoder, type QpackDecoderOptions, QpackEncoder, type QpackEncoderOptions } from '../../src/qpack/index.js';

/** Same names and values in order; a line sent with neverIndex arrives with it (the encoder may add it to sensitive lines). */
export function sameFields(decoded: readonly FieldLine[], sent: readonly FieldLine[]): boolean {
  return decoded.length === sent.length && decoded.every((d, i) => d.name === sent[i]!.name && d.value === sent[i]!.value && (!sent[i]!.neverIndex || d.neverIndex === true));
}

export class Pair {
  readonly encoder: QpackEncoder;
  readonly decoder: QpackDecoder;
  /** Octets carried on the encoder stream, on request streams (field sections) and on the decoder stream. */
  readonly octets = { encoderStream: 0, sections: 0, decoderStream: 0 };

  constructor(settings: QpackDecoderOptions, encoder: Partial<QpackEncoderOptions> = {}) {
    this.decoder = new QpackDecoder(settings);
    this.encoder = new QpackEncoder({ maxTableCapacity: settings.maxTableCapacity, maxBlockedStreams: settings.maxBlockedStreams, ...encoder });
  }

  /** Encodes, delivers the encoder stream then the section, checks the fields arrive intact, returns the section. */
  exchange(streamId: bigint, fields: FieldLine[]): Uint8Array {
    const section = this.encoder.encodeFieldSection(streamId, fields);
    const instructions = this.encoder.takeEncoderStreamData();
    this.octets.encoderStream += instructions.length;
    this.octets.sections += section.length;
    if (this.decoder.receiveEncoderStream(instructions).length > 0) throw new Error('nothing was blocked');
    const result = this.decoder.decodeFieldSection(streamId, section);
    if (!('fields' in result)) throw new Error('blocked with the encoder stream delivered');
    if (!sameFields(result.fields, fields)) throw new Error(`decoded ${JSON.stringify(result.fields)}, sent ${JSON.stringify(fields)}`);
    this.acknowledge();
    return section;
  }

  /** Delivers the decoder stream to the encoder. */
  acknowledge(): void {
    const feedback = this.decoder.takeDecoderStreamData();
    this.octets.decoderStream += feedback.length;
    this.encoder.receiveDecoderStream(feedback);
  }
}
