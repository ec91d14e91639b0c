import { expect } from 'chai';
import fc from 'fast-check';
import { encodeFrame, bodySize } from '../../modules/control/encode.ts';
import { decodeFrame, FrameDecoder } from '../../modules/control/decode.ts';
import type { DecodeResult } from '../../modules/control/decode.ts';
import { DEFAULT_MAX_BODY, FrameFlag, HEADER_SIZE, MsgType } from '../../modules/control/frame.ts';
import type { ControlMessage, DecodeErrorReason } from '../../modules/control/frame.ts';
import { checkControlMessage } from '../../modules/control/schema.ts';
import { controlMessageToJson } from '../../modules/control/json.ts';
import { arbMessage, samples } from './control-fixtures.ts';

function encode(msg: ControlMessage, id = 1, flags = 0): Uint8Array {
  const r = encodeFrame(msg, { id, flags });
  if (!r.ok) throw new Error(`encode failed: ${r.error.detail}`);
  return r.bytes;
}

function messages(results: DecodeResult[]): ControlMessage[] {
  return results.map((r) => {
    if (!r.ok) throw new Error(`unexpected rejection ${r.error.reason}: ${r.error.detail}`);
    return r.frame.msg;
  });
}

function reasonOf(r: DecodeResult): DecodeErrorReason | 'ok' {
  return r.ok ? 'ok' : r.error.reason;
}

/** A valid frame of `msg` with the header patched by `patch` (offsets from layout.ts). */
function patched(msg: ControlMessage, patch: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = encode(msg).slice();
  patch(new DataView(bytes.buffer), bytes);
  return bytes;
}

describe('control channel: frame codec', () => {
  describe('round trip', () => {
    for (const [type, msg] of Object.entries(samples)) {
      it(`decodes ${type} to the message that was encoded, with its header`, () => {
        const bytes = encode(msg, 77, type === 'HANDOFF_ACK' ? FrameFlag.REPLY : 0);
        expect(bytes.length).to.equal(HEADER_SIZE + bodySize(msg));
        const r = decodeFrame(bytes);
        expect(r.ok, reasonOf(r)).to.equal(true);
        if (!r.ok) return;
        expect(r.frame.msg).to.deep.equal(msg);
        expect(r.frame.header).to.deep.equal({
          version: 1,
          type: MsgType[msg.type],
          flags: type === 'HANDOFF_ACK' ? FrameFlag.REPLY : 0,
          id: 77,
          length: bodySize(msg),
        });
      });
    }

    it('round-trips every message the schemas allow (property)', () => {
      fc.assert(
        fc.property(arbMessage, fc.integer({ min: 0, max: 0xffffffff }), (msg, id) => {
          const r = decodeFrame(encode(msg, id));
          expect(r.ok).to.equal(true);
          if (r.ok) expect(r.frame.msg).to.deep.equal(msg);
        }),
        { numRuns: 300 },
      );
    });

    it('lays the header out big-endian: magic "HO", version, type, flags, id, length', () => {
      const bytes = encode(samples.TERMINATE, 0x01020304, FrameFlag.REPLY);
      expect(Array.from(bytes.subarray(0, HEADER_SIZE))).to.deep.equal([
        0x48, 0x4f, 1, MsgType.TERMINATE, 0, 1, 1, 2, 3, 4, 0, 0, 0, 5,
      ]);
      expect(Array.from(bytes.subarray(HEADER_SIZE))).to.deep.equal([0, 0, 0, 42, 1]);
    });

    it('gives decoded byte fields their own memory, not a view of the receive buffer', () => {
      const bytes = encode(samples.HANDOFF_REQ);
      const r = decodeFrame(bytes);
      if (!r.ok || r.frame.msg.type !== 'HANDOFF_REQ') throw new Error('decode failed');
      const syn0 = r.frame.msg.syn[0];
      bytes.fill(0xee);
      expect(r.frame.msg.syn[0]).to.equal(syn0);
    });
  });

  describe('streaming decoder', () => {
    const stream = [samples.HELLO, samples.HANDOFF_REQ, samples.HANDOFF_ACK, samples.TERMINATE];
    const wire = Buffer.concat(stream.map((m, i) => encode(m, i)));

    it('decodes a stream split in two at every byte boundary', () => {
      for (let cut = 0; cut <= wire.length; cut++) {
        const d = new FrameDecoder();
        const got = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))];
        expect(messages(got), `cut at ${cut}`).to.deep.equal(stream);
        expect(d.buffered).to.equal(0);
      }
    });

    it('decodes a stream fed one byte at a time', () => {
      const d = new FrameDecoder();
      const got: DecodeResult[] = [];
      for (let i = 0; i < wire.length; i++) got.push(...d.push(wire.subarray(i, i + 1)));
      expect(messages(got)).to.deep.equal(stream);
    });

    it('decodes any stream of messages cut into arbitrary chunks (property)', () => {
      fc.assert(
        fc.property(fc.array(arbMessage, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 10 }), (msgs, cuts) => {
          const bytes = Buffer.concat(msgs.map((m, i) => encode(m, i)));
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const d = new FrameDecoder();
          const got: DecodeResult[] = [];
          let from = 0;
          for (const p of [...points, bytes.length]) {
            got.push(...d.push(bytes.subarray(from, p)));
            from = p;
          }
          expect(messages(got)).to.deep.equal(msgs);
        }),
        { numRuns: 200 },
      );
    });

    it('never holds more than one maximal frame of bytes', () => {
      const d = new FrameDecoder(2048);
      const big = { ...samples.HANDOFF_REQ, data: [new Uint8Array(1800)] } as ControlMessage;
      const bytes = encode(big);
      let peak = 0;
      for (let i = 0; i < bytes.length; i += 100) {
        d.push(bytes.subarray(i, i + 100));
        peak = Math.max(peak, d.buffered);
      }
      expect(d.counts.frames).to.equal(1);
      expect(peak).to.be.at.most(HEADER_SIZE + 2048);
    });

    it('drops a frame with a bad body and goes on with the next one', () => {
      const bad = patched(samples.TERMINATE, (v) => v.setUint8(HEADER_SIZE + 4, 99));
      const d = new FrameDecoder();
      const got = d.push(Buffer.concat([bad, encode(samples.HEARTBEAT)]));
      expect(got.map(reasonOf)).to.deep.equal(['invalid', 'ok']);
      expect(d.failed).to.equal(null);
      expect(d.counts).to.deep.equal({ frames: 1, rejected: 1 });
    });

    it('stops for good after a fatal error: the channel has lost framing', () => {
      const d = new FrameDecoder();
      const got = d.push(Buffer.concat([Buffer.from('GET / HTTP/1.0\r\n\r\n'), encode(samples.HEARTBEAT)]));
      expect(got.map(reasonOf)).to.deep.equal(['bad-magic']);
      expect(d.failed?.fatal).to.equal(true);
      expect(d.push(encode(samples.HEARTBEAT))).to.deep.equal([]);
      expect(d.buffered).to.equal(0);
    });

    it('rejects an oversized frame from its header, before its body arrives', () => {
      const d = new FrameDecoder(1024);
      const header = encode({ ...samples.HANDOFF_REQ, data: [new Uint8Array(2000)] } as ControlMessage).subarray(0, HEADER_SIZE);
      const got = d.push(header);
      expect(got.map(reasonOf)).to.deep.equal(['too-large']);
      expect(d.buffered).to.equal(0);
    });
  });

  describe('rejections, each with its reason', () => {
    const cases: Array<[DecodeErrorReason, boolean, () => Uint8Array]> = [
      ['bad-magic', true, () => patched(samples.HELLO, (v) => v.setUint16(0, 0x4845))],
      ['bad-version', true, () => patched(samples.HELLO, (v) => v.setUint8(2, 2))],
      ['too-large', true, () => patched(samples.HELLO, (v) => v.setUint32(10, DEFAULT_MAX_BODY + 1))],
      ['unknown-type', false, () => patched(samples.HELLO, (v) => v.setUint8(3, 200))],
      ['bad-flags', false, () => patched(samples.HELLO, (v) => v.setUint16(4, 0x8000))],
      ['truncated', false, () => {
        // Announce one byte less than the body: the nodeId blob overruns the frame.
        const b = encode(samples.HANDOFF_NAK);
        const cut = b.slice(0, b.length - 1);
        new DataView(cut.buffer).setUint32(10, bodySize(samples.HANDOFF_NAK) - 1);
        return cut;
      }],
      ['trailing-bytes', false, () => {
        const b = encode(samples.TERMINATE);
        const longer = new Uint8Array(b.length + 3);
        longer.set(b);
        new DataView(longer.buffer).setUint32(10, bodySize(samples.TERMINATE) + 3);
        return longer;
      }],
      ['bad-utf8', false, () => patched(samples.HELLO, (_v, b) => b.set([0xc3, 0x28, 0x31], HEADER_SIZE + 1))],
      ['invalid', false, () => patched(samples.HANDOFF_NAK, (v) => v.setUint8(HEADER_SIZE + 4, 0))],
    ];
    for (const [reason, fatal, make] of cases) {
      it(`rejects with '${reason}'${fatal ? ' (fatal)' : ''}`, () => {
        const r = decodeFrame(make());
        expect(reasonOf(r)).to.equal(reason);
        if (!r.ok) expect(r.error.fatal).to.equal(fatal);
        const d = new FrameDecoder();
        expect(d.push(make()).map(reasonOf)).to.deep.equal([reason]);
      });
    }

    it("rejects a HELLO whose nodeId breaks the schema as 'invalid' and names the field", () => {
      const r = decodeFrame(patched(samples.HELLO, (_v, b) => b.set([0x20], HEADER_SIZE + 1)));
      expect(reasonOf(r)).to.equal('invalid');
      if (!r.ok) expect(r.error.detail).to.contain('nodeId');
    });

    it("rejects a HANDOFF_REQ whose data count overruns the body as 'truncated'", () => {
      const msg = samples.HANDOFF_REQ;
      const countAt = HEADER_SIZE + bodySize(msg) - 2 - 300 - 2 - 41 - 1;
      const r = decodeFrame(patched(msg, (v) => v.setUint8(countAt, 3)));
      expect(reasonOf(r)).to.equal('truncated');
    });
  });

  describe('fuzz', () => {
    it('never throws on random bytes, whole or streamed', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 200 }), (bytes, cut) => {
          decodeFrame(bytes);
          const d = new FrameDecoder(4096);
          d.push(bytes.subarray(0, cut));
          d.push(bytes.subarray(cut));
        }),
        { numRuns: 2000 },
      );
    });

    it('never throws on valid frames with random bytes changed, and never accepts one that breaks its schema', () => {
      fc.assert(
        fc.property(arbMessage, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (msg, edits) => {
          const bytes = encode(msg).slice();
          for (const [at, val] of edits) bytes[HEADER_SIZE + (at % Math.max(1, bytes.length - HEADER_SIZE))] = val;
          const r = decodeFrame(bytes);
          if (r.ok) expect(checkControlMessage(r.frame.msg)).to.deep.equal({ ok: true });
          new FrameDecoder().push(bytes);
        }),
        { numRuns: 1000 },
      );
    });
  });

  describe('encoder', () => {
    it("refuses a message that breaks its schema ('invalid'), without throwing", () => {
      const r = encodeFrame({ ...samples.HANDOFF_ACK, connId: -1 } as ControlMessage, { id: 1 });
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.error.reason).to.equal('invalid');
    });

    it("refuses a message larger than the peer's bound ('too-large')", () => {
      const r = encodeFrame(samples.HANDOFF_REQ, { id: 1, maxBody: 200 });
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.error.reason).to.equal('too-large');
    });

    it('refuses unknown header flags', () => {
      expect(encodeFrame(samples.HELLO, { id: 1, flags: 0x10 }).ok).to.equal(false);
    });
  });

  describe('JSON form (traces)', () => {
    it('validates every message in JSON form against the same schema', () => {
      fc.assert(
        fc.property(arbMessage, (msg) => {
          const json = JSON.parse(JSON.stringify(controlMessageToJson(msg)));
          expect(checkControlMessage(json)).to.deep.equal({ ok: true });
        }),
        { numRuns: 200 },
      );
    });

    it('rejects a JSON message with a byte field that is not base64', () => {
      const json = { ...controlMessageToJson(samples.HANDOFF_REQ), syn: 'not base64!' };
      expect(checkControlMessage(json).ok).to.equal(false);
    });
  });
});
