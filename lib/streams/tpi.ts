/**
 * TPI (Transport Provider Interface) primitives as typed payloads of M_PROTO / M_PCPROTO
 * messages: what passes between a transport provider (the userland TCP) and its user (the
 * stream head / socket layer, UTCP). A discriminated union on PRIM_type; field names follow
 * <sys/tihdr.h>. User data (T_DATA_*, T_CONN_*, T_DISCON_*) travels in M_DATA blocks linked
 * after the primitive (b_cont), never inside it. Addresses are {addr, port}.
 */
import type { Ipv4Addr } from '../wire/ip-types.ts';
import type { Mblk } from './mblk.ts';
import { allocproto } from './mblk.ts';
import { M_PCPROTO, M_PROTO } from './types.ts';

export interface TAddr {
  addr: Ipv4Addr;
  port: number;
}

/** Options carried by T_CONN_*, T_OPTMGMT_*: the ones a socket layer sets, plus room to grow. */
export interface TOptions {
  rcvbuf?: number;
  sndbuf?: number;
  nodelay?: boolean;
  maxseg?: number;
  keepalive?: boolean;
  reuseaddr?: boolean;
  /** Linger time in seconds (absent: off). */
  linger?: number;
  extra?: Readonly<Record<string, number | boolean | string>>;
}

export interface TBindReq {
  PRIM_type: 'T_BIND_REQ';
  /** null: let the provider choose. */
  ADDR: TAddr | null;
  /** > 0 makes a listening endpoint with that backlog. */
  CONIND_number: number;
}
export interface TBindAck {
  PRIM_type: 'T_BIND_ACK';
  ADDR: TAddr;
  CONIND_number: number;
}
export interface TUnbindReq {
  PRIM_type: 'T_UNBIND_REQ';
}
export interface TConnReq {
  PRIM_type: 'T_CONN_REQ';
  DEST_addr: TAddr;
  OPT: TOptions | null;
}
export interface TConnCon {
  PRIM_type: 'T_CONN_CON';
  RES_addr: TAddr;
  OPT: TOptions | null;
}
export interface TConnInd {
  PRIM_type: 'T_CONN_IND';
  SRC_addr: TAddr;
  /** The local address the connection came in on (TPI leaves it to T_ADDR_REQ; we carry it). */
  DEST_addr: TAddr;
  /** Identifies this indication in T_CONN_RES / T_DISCON_REQ / T_DISCON_IND. */
  SEQ_number: number;
  OPT: TOptions | null;
}
export interface TConnRes {
  PRIM_type: 'T_CONN_RES';
  /** Stream id (Stream.id) of the endpoint that takes the connection; 0 = the listener itself. */
  ACCEPTOR_id: number;
  SEQ_number: number;
  OPT: TOptions | null;
}
export interface TDataReq {
  PRIM_type: 'T_DATA_REQ';
  MORE_flag: boolean;
}
export interface TDataInd {
  PRIM_type: 'T_DATA_IND';
  MORE_flag: boolean;
}
export interface TOrdrelReq {
  PRIM_type: 'T_ORDREL_REQ';
}
export interface TOrdrelInd {
  PRIM_type: 'T_ORDREL_IND';
}
export interface TDisconReq {
  PRIM_type: 'T_DISCON_REQ';
  /** The T_CONN_IND refused, or -1 for the connected endpoint. */
  SEQ_number: number;
}
export interface TDisconInd {
  PRIM_type: 'T_DISCON_IND';
  /** errno-style reason (ECONNRESET, ECONNREFUSED, ETIMEDOUT...). */
  DISCON_reason: number;
  SEQ_number: number;
}
export interface TOkAck {
  PRIM_type: 'T_OK_ACK';
  CORRECT_prim: TPrimName;
}
export interface TErrorAck {
  PRIM_type: 'T_ERROR_ACK';
  ERROR_prim: TPrimName;
  TLI_error: number;
  /** errno when TLI_error is TSYSERR. */
  UNIX_error: number;
}
export interface TInfoReq {
  PRIM_type: 'T_INFO_REQ';
}
export interface TInfoAck {
  PRIM_type: 'T_INFO_ACK';
  TSDU_size: number;
  ETSDU_size: number;
  CDATA_size: number;
  DDATA_size: number;
  ADDR_size: number;
  OPT_size: number;
  TIDU_size: number;
  SERV_type: number;
  CURRENT_state: number;
  PROVIDER_flag: number;
}
export interface TOptmgmtReq {
  PRIM_type: 'T_OPTMGMT_REQ';
  MGMT_flags: number;
  OPT: TOptions;
}
export interface TOptmgmtAck {
  PRIM_type: 'T_OPTMGMT_ACK';
  MGMT_flags: number;
  OPT: TOptions;
}
export interface TAddrReq {
  PRIM_type: 'T_ADDR_REQ';
}
export interface TAddrAck {
  PRIM_type: 'T_ADDR_ACK';
  LOCADDR: TAddr | null;
  REMADDR: TAddr | null;
}

export type TPrimitive =
  | TBindReq
  | TBindAck
  | TUnbindReq
  | TConnReq
  | TConnCon
  | TConnInd
  | TConnRes
  | TDataReq
  | TDataInd
  | TOrdrelReq
  | TOrdrelInd
  | TDisconReq
  | TDisconInd
  | TOkAck
  | TErrorAck
  | TInfoReq
  | TInfoAck
  | TOptmgmtReq
  | TOptmgmtAck
  | TAddrReq
  | TAddrAck;

export type TPrimName = TPrimitive['PRIM_type'];
export type TPrimOf<K extends TPrimName> = Extract<TPrimitive, { PRIM_type: K }>;

/** Primitives TPI sends as M_PCPROTO (acknowledgements and information requests). */
const PCPROTO_PRIMS: ReadonlySet<TPrimName> = new Set<TPrimName>([
  'T_INFO_REQ',
  'T_INFO_ACK',
  'T_BIND_ACK',
  'T_OK_ACK',
  'T_ERROR_ACK',
  'T_OPTMGMT_ACK',
  'T_ADDR_REQ',
  'T_ADDR_ACK',
]);

const ALL_PRIMS: ReadonlySet<string> = new Set<string>([
  ...PCPROTO_PRIMS,
  'T_BIND_REQ',
  'T_UNBIND_REQ',
  'T_CONN_REQ',
  'T_CONN_CON',
  'T_CONN_IND',
  'T_CONN_RES',
  'T_DATA_REQ',
  'T_DATA_IND',
  'T_ORDREL_REQ',
  'T_ORDREL_IND',
  'T_DISCON_REQ',
  'T_DISCON_IND',
  'T_OPTMGMT_REQ',
]);

/** TLI errors (TLI_error of T_ERROR_ACK). */
export const TLI = {
  TBADADDR: 1,
  TBADOPT: 2,
  TACCES: 3,
  TBADF: 4,
  TNOADDR: 5,
  TOUTSTATE: 6,
  TBADSEQ: 7,
  TSYSERR: 8,
  TBADDATA: 10,
  TBADFLAG: 16,
  TNOTSUPPORT: 18,
  TADDRBUSY: 23,
} as const;

/** TPI endpoint states (CURRENT_state). */
export const TS = {
  TS_UNBND: 0,
  TS_WACK_BREQ: 1,
  TS_WACK_UREQ: 2,
  TS_IDLE: 3,
  TS_WACK_OPTREQ: 4,
  TS_WACK_CREQ: 5,
  TS_WCON_CREQ: 6,
  TS_WRES_CIND: 7,
  TS_WACK_CRES: 8,
  TS_DATA_XFER: 9,
  TS_WIND_ORDREL: 10,
  TS_WREQ_ORDREL: 11,
  TS_WACK_DREQ6: 12,
  TS_WACK_DREQ7: 13,
  TS_WACK_DREQ9: 14,
  TS_WACK_DREQ10: 15,
  TS_WACK_DREQ11: 16,
} as const;

/** SERV_type of T_INFO_ACK. */
export const T_COTS = 1;
export const T_COTS_ORD = 2;
export const T_CLTS = 3;

/** MGMT_flags of T_OPTMGMT_*. */
export const T_NEGOTIATE = 0x004;
export const T_CHECK = 0x008;
export const T_DEFAULT = 0x010;
export const T_CURRENT = 0x080;
export const T_SUCCESS = 0x020;
export const T_FAILURE = 0x040;

/** The message type TPI uses for a primitive. */
export function tpiMsgType(name: TPrimName): typeof M_PROTO | typeof M_PCPROTO {
  return PCPROTO_PRIMS.has(name) ? M_PCPROTO : M_PROTO;
}

/** Build the message for a primitive, with user data (M_DATA blocks) linked after it. */
export function mktpi(prim: TPrimitive, data: Mblk | null = null): Mblk {
  return allocproto(tpiMsgType(prim.PRIM_type), prim, data);
}

/** The TPI primitive carried by mp, or null when mp is not an M_PROTO / M_PCPROTO TPI message. */
export function tprim(mp: Mblk): TPrimitive | null {
  const t = mp.db.type;
  if (t !== M_PROTO && t !== M_PCPROTO) return null;
  const p = mp.db.proto as { PRIM_type?: unknown } | null | undefined;
  if (typeof p !== 'object' || p === null || typeof p.PRIM_type !== 'string' || !ALL_PRIMS.has(p.PRIM_type)) return null;
  return p as TPrimitive;
}

/** The primitive if it is of kind `name`, else null: `const ind = tpiAs(mp, 'T_CONN_IND')`. */
export function tpiAs<K extends TPrimName>(mp: Mblk, name: K): TPrimOf<K> | null {
  const p = tprim(mp);
  return p !== null && p.PRIM_type === name ? (p as TPrimOf<K>) : null;
}

/** Type guard form of tpiAs for a primitive already extracted. */
export function isPrim<K extends TPrimName>(p: TPrimitive | null, name: K): p is TPrimOf<K> {
  return p !== null && p.PRIM_type === name;
}

/**
 * Primitives with nothing in them but their names: one frozen object each, shared by every
 * message that carries one (a primitive is immutable once sent; the message blocks are fresh).
 */
const okAcks = new Map<TPrimName, TOkAck>();
const ORDREL_REQ: TOrdrelReq = Object.freeze({ PRIM_type: 'T_ORDREL_REQ' });
const ORDREL_IND: TOrdrelInd = Object.freeze({ PRIM_type: 'T_ORDREL_IND' });
const DATA_REQ: TDataReq = Object.freeze({ PRIM_type: 'T_DATA_REQ', MORE_flag: false });
const DATA_IND: TDataInd = Object.freeze({ PRIM_type: 'T_DATA_IND', MORE_flag: false });

export function tOkAck(correct: TPrimName): Mblk {
  let p = okAcks.get(correct);
  if (p === undefined) {
    p = Object.freeze({ PRIM_type: 'T_OK_ACK', CORRECT_prim: correct });
    // Bounded by the primitive names; a made-up name is not kept.
    if (ALL_PRIMS.has(correct)) okAcks.set(correct, p);
  }
  return allocproto(M_PCPROTO, p);
}

/** T_ORDREL_REQ (user) or T_ORDREL_IND (provider): an M_PROTO message with the shared primitive. */
export function tOrdrel(kind: 'T_ORDREL_REQ' | 'T_ORDREL_IND'): Mblk {
  return allocproto(M_PROTO, kind === 'T_ORDREL_REQ' ? ORDREL_REQ : ORDREL_IND);
}

export function tErrorAck(prim: TPrimName, tliError: number, unixError = 0): Mblk {
  return mktpi({ PRIM_type: 'T_ERROR_ACK', ERROR_prim: prim, TLI_error: tliError, UNIX_error: unixError });
}

/** T_DATA_REQ / T_DATA_IND with the data blocks after it. */
export function tData(kind: 'T_DATA_REQ' | 'T_DATA_IND', data: Mblk | null, more = false): Mblk {
  if (!more) return allocproto(M_PROTO, kind === 'T_DATA_REQ' ? DATA_REQ : DATA_IND, data);
  return mktpi({ PRIM_type: kind, MORE_flag: more }, data);
}
