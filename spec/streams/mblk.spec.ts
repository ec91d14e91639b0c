import { expect } from 'chai';
import {
  adjmsg,
  allocb,
  allocbUninit,
  allocproto,
  copyb,
  copymsg,
  copyOnWrite,
  dupb,
  dupmsg,
  esballoc,
  freeb,
  freemsg,
  linkb,
  M_DATA,
  M_PROTO,
  mkdata,
  msgblocks,
  msgbytes,
  msgdsize,
  msgsize,
  pullupmsg,
  unlinkb,
  UseAfterFreeError,
  type Mblk,
} from '../../lib/streams/index.ts';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

function chain(...parts: number[][]): Mblk {
  const head = mkdata(Uint8Array.from(parts[0]!));
  for (const p of parts.slice(1)) linkb(head, mkdata(Uint8Array.from(p)));
  return head;
}

describe('streams: message blocks', () => {
  it('keeps allocb zeroed next to allocbUninit buffers that were written full (separate slabs, no overlap)', () => {
    const raw: Mblk[] = [];
    const zeroed: Mblk[] = [];
    for (let i = 0; i < 200; i++) {
      const r = allocbUninit(1500);
      expect(r.db.buf.length).to.equal(1500);
      r.db.buf.fill(0xee);
      raw.push(r);
      zeroed.push(allocb(700));
    }
    for (const z of zeroed) expect(z.db.buf.every((b) => b === 0)).to.equal(true);
    for (const r of raw) expect(r.db.buf.every((b) => b === 0xee)).to.equal(true);
    expect(allocbUninit(0).db.buf.length).to.equal(0);
    expect(allocbUninit(100_000).db.buf.length).to.equal(100_000);
  });

  it('allocb gives an empty block of the asked size and type; append moves wptr', () => {
    const mp = allocb(8);
    expect(mp.type).to.equal(M_DATA);
    expect(mp.len).to.equal(0);
    expect(mp.tailroom).to.equal(8);
    mp.append(bytes(1, 2, 3));
    expect([...mp.data()]).to.deep.equal([1, 2, 3]);
    expect(() => mp.append(new Uint8Array(6))).to.throw(RangeError);
  });

  it('keeps the message type on the data block, shared by dupb copies', () => {
    const mp = allocb(4, M_PROTO);
    const d = dupb(mp);
    expect(d.db).to.equal(mp.db);
    mp.db.type = M_DATA;
    expect(d.type).to.equal(M_DATA);
  });

  it('dupb shares the bytes and counts references; the data block lives until the last free', () => {
    const mp = mkdata(bytes(1, 2, 3));
    const d = dupb(mp);
    expect(mp.db.ref).to.equal(2);
    d.rptr += 1;
    expect([...d.data()]).to.deep.equal([2, 3]);
    expect([...mp.data()]).to.deep.equal([1, 2, 3]);
    freeb(mp);
    expect(d.db.ref).to.equal(1);
    expect([...d.data()]).to.deep.equal([2, 3]);
    freeb(d);
    expect(d.db.ref).to.equal(0);
  });

  it('dupmsg duplicates every block of a message without copying bytes', () => {
    const mp = chain([1, 2], [3], [4, 5]);
    const d = dupmsg(mp);
    expect(msgblocks(d)).to.equal(3);
    for (let a: Mblk | null = mp, b: Mblk | null = d; a !== null && b !== null; a = a.cont, b = b.cont) expect(a.db).to.equal(b.db);
    mp.data()[0] = 9;
    expect(msgbytes(d)[0]).to.equal(9);
  });

  it('copyb and copymsg make private bytes (changing the copy leaves the original alone)', () => {
    const mp = chain([1, 2], [3]);
    const c = copymsg(mp);
    c.data()[0] = 7;
    expect([...msgbytes(mp)]).to.deep.equal([1, 2, 3]);
    expect([...msgbytes(c)]).to.deep.equal([7, 2, 3]);
    const one = copyb(mp);
    expect(one.cont).to.equal(null);
    expect(one.db).to.not.equal(mp.db);
  });

  it('copyb shares a primitive payload (primitives are immutable values)', () => {
    const prim = { PRIM_type: 'T_OK_ACK' };
    const mp = allocproto(M_PROTO, prim);
    expect(copyb(mp).proto).to.equal(prim);
  });

  it('copyOnWrite returns the block itself when unshared and a private copy when shared', () => {
    const mp = mkdata(bytes(1, 2));
    expect(copyOnWrite(mp)).to.equal(mp);
    const d = dupb(mp);
    d.cont = mkdata(bytes(3));
    const w = copyOnWrite(d);
    expect(w).to.not.equal(d);
    expect(d.freed).to.equal(true);
    w.data()[0] = 5;
    expect([...mp.data()]).to.deep.equal([1, 2]);
    expect([...msgbytes(w)]).to.deep.equal([5, 2, 3]);
  });

  it('esballoc wraps bytes without copying', () => {
    const b = bytes(1, 2, 3);
    const mp = esballoc(b);
    b[1] = 9;
    expect([...mp.data()]).to.deep.equal([1, 9, 3]);
  });

  it('linkb appends at the end of the chain and unlinkb detaches the first block', () => {
    const mp = chain([1], [2]);
    linkb(mp, mkdata(bytes(3)));
    expect([...msgbytes(mp)]).to.deep.equal([1, 2, 3]);
    const rest = unlinkb(mp)!;
    expect(mp.cont).to.equal(null);
    expect([...msgbytes(rest)]).to.deep.equal([2, 3]);
    expect(unlinkb(mp)).to.equal(null);
  });

  it('msgdsize counts only M_DATA bytes; msgsize counts every block', () => {
    const proto = allocb(4, M_PROTO);
    proto.append(bytes(1, 2, 3, 4));
    proto.cont = chain([1, 2], [3]);
    expect(msgdsize(proto)).to.equal(3);
    expect(msgsize(proto)).to.equal(7);
  });

  it('pullupmsg joins the leading same-type blocks into the first one and keeps its identity', () => {
    const mp = chain([1, 2], [3], [4, 5, 6]);
    expect(pullupmsg(mp, 4)).to.equal(true);
    expect([...mp.data()]).to.deep.equal([1, 2, 3, 4]);
    expect([...msgbytes(mp)]).to.deep.equal([1, 2, 3, 4, 5, 6]);
    const all = chain([1], [2], [3]);
    expect(pullupmsg(all, -1)).to.equal(true);
    expect(msgblocks(all)).to.equal(1);
    expect([...all.data()]).to.deep.equal([1, 2, 3]);
  });

  it('pullupmsg refuses (and changes nothing) when fewer bytes are there than asked', () => {
    const mp = chain([1], [2]);
    expect(pullupmsg(mp, 3)).to.equal(false);
    expect(msgblocks(mp)).to.equal(2);
  });

  it('pullupmsg of a shared block does not change the other holder', () => {
    const mp = chain([1, 2], [3]);
    const d = dupb(mp);
    expect(pullupmsg(mp, 3)).to.equal(true);
    mp.data()[0] = 9;
    expect([...d.data()]).to.deep.equal([1, 2]);
  });

  it('adjmsg trims from the front with a positive count and from the back with a negative one', () => {
    const mp = chain([1, 2], [3, 4], [5]);
    expect(adjmsg(mp, 3)).to.equal(true);
    expect([...msgbytes(mp)]).to.deep.equal([4, 5]);
    expect(adjmsg(mp, -2)).to.equal(true);
    expect(msgdsize(mp)).to.equal(0);
    expect(adjmsg(mp, 1)).to.equal(false);
  });

  it('catches a freed block used again: putnext-style access, double free, dupb', () => {
    const mp = mkdata(bytes(1));
    freemsg(mp);
    expect(() => mp.data()).to.throw(UseAfterFreeError);
    expect(() => freeb(mp)).to.throw(UseAfterFreeError);
    expect(() => dupb(mp)).to.throw(UseAfterFreeError);
    expect(() => copyb(mp)).to.throw(UseAfterFreeError);
  });
});
