import { expect } from 'chai';
import {
  isPrim,
  M_PCPROTO,
  M_PROTO,
  mkdata,
  mktpi,
  msgbytes,
  tData,
  tErrorAck,
  TLI,
  tOkAck,
  tpiAs,
  tprim,
  allocproto,
  type TPrimitive,
} from '../../lib/streams/index.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { testEnv } from './support/env.ts';

describe('streams: TPI primitives', () => {
  it('sends requests and indications as M_PROTO and acknowledgements as M_PCPROTO', () => {
    const addr = { addr: ipv4('192.0.2.1'), port: 80 };
    expect(mktpi({ PRIM_type: 'T_BIND_REQ', ADDR: addr, CONIND_number: 5 }).type).to.equal(M_PROTO);
    expect(mktpi({ PRIM_type: 'T_CONN_IND', SRC_addr: addr, DEST_addr: addr, SEQ_number: 1, OPT: null }).type).to.equal(M_PROTO);
    expect(mktpi({ PRIM_type: 'T_BIND_ACK', ADDR: addr, CONIND_number: 5 }).type).to.equal(M_PCPROTO);
    expect(tOkAck('T_CONN_RES').type).to.equal(M_PCPROTO);
    expect(tErrorAck('T_BIND_REQ', TLI.TADDRBUSY).type).to.equal(M_PCPROTO);
    expect(mktpi({ PRIM_type: 'T_INFO_REQ' }).type).to.equal(M_PCPROTO);
  });

  it('carries user data in M_DATA blocks linked after the primitive', () => {
    const mp = tData('T_DATA_REQ', mkdata(Uint8Array.of(1, 2, 3)), true);
    expect(tpiAs(mp, 'T_DATA_REQ')).to.deep.equal({ PRIM_type: 'T_DATA_REQ', MORE_flag: true });
    expect([...msgbytes(mp)]).to.deep.equal([1, 2, 3]);
  });

  it('narrows a message to its primitive, and returns null for anything that is not TPI', () => {
    const ind = mktpi({ PRIM_type: 'T_DISCON_IND', DISCON_reason: 104, SEQ_number: -1 });
    const p = tprim(ind);
    expect(isPrim(p, 'T_DISCON_IND') && p.DISCON_reason).to.equal(104);
    expect(tpiAs(ind, 'T_ORDREL_IND')).to.equal(null);
    expect(tprim(mkdata(Uint8Array.of(1)))).to.equal(null);
    expect(tprim(allocproto(M_PROTO, { prim: 'IP_BIND_REQ' }))).to.equal(null);
    expect(tprim(allocproto(M_PROTO, { PRIM_type: 'T_NO_SUCH' }))).to.equal(null);
  });

  it('reaches the stream head as an ordinary message the reader can narrow', () => {
    const env = testEnv();
    const st = env.open('loop');
    const req: TPrimitive = { PRIM_type: 'T_CONN_REQ', DEST_addr: { addr: ipv4('198.51.100.7'), port: 443 }, OPT: { nodelay: true } };
    expect(st.write(mktpi(req))).to.equal(0);
    env.runServices();
    expect(tpiAs(st.read()!, 'T_CONN_REQ')).to.deep.equal(req);
  });
});
