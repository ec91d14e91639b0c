/**
 * The STREAMS framework: the public API. Module and driver authors need the message, queue,
 * put and flush functions; stack builders need StreamsEnv, Registry and Stream.
 * See docs/streams.md.
 */
export * from './types.ts';
export { StreamsError, UseAfterFreeError } from './errors.ts';
export {
  Mblk,
  Dblk,
  allocb,
  allocbUninit,
  allocBytes,
  esballoc,
  allocproto,
  mkdata,
  freeb,
  freemsg,
  dupb,
  dupmsg,
  copyb,
  copymsg,
  copyOnWrite,
  linkb,
  unlinkb,
  msgblocks,
  msgdsize,
  msgsize,
  qcost,
  pullupmsg,
  adjmsg,
  msgbytes,
} from './mblk.ts';
export {
  Queue,
  OTHERQ,
  RD,
  WR,
  backq,
  qsize,
  putq,
  putbq,
  insq,
  getq,
  takeq,
  rmvq,
  flushq,
  flushband,
  drainq,
  canput,
  canputnext,
  qenable,
  qbackenable,
  noenable,
  enableok,
  qsetwater,
} from './queue.ts';
export { putnext, put, qreply, runEntry, setMaxPutDepth, putDepth, deferredPuts } from './put.ts';
export { putInOrder, passQueued } from './canonical.ts';
export type {
  ModuleInfo,
  QInit,
  StreamTab,
  StreamsModule,
  ModuleDef,
  DriverDef,
  PutProc,
  ServiceProc,
  OpenProc,
  CloseProc,
  OpenCtx,
  CloseCtx,
  OpenFlag,
} from './module.ts';
export { defineModule, defineDriver, isMux, checkDefinition } from './module.ts';
export { Registry, fmodsw } from './registry.ts';
export { StreamsEnv } from './env.ts';
export type { StreamsEnvOptions } from './env.ts';
export { Stream, openStream, NSTRPUSH } from './stream.ts';
export type { OpenOptions, Position, ModInstance, StreamEvents } from './stream.ts';
export { qprocson, qprocsoff } from './procs.ts';
export { qtimeout, quntimeout } from './timers.ts';
export {
  I_PUSH,
  I_POP,
  I_LOOK,
  I_FLUSH,
  I_FIND,
  I_LINK,
  I_UNLINK,
  IOCTL_TIMEOUT_NS,
  mkioctl,
  iocblk,
  miocack,
  miocnak,
  ioctlName,
} from './ioctl.ts';
export type { IocBlk, LinkBlk, IoctlResult, IoctlCallback } from './ioctl.ts';
export {
  mkflush,
  flushreq,
  reflag,
  mkerror,
  errorreq,
  mkhangup,
  mksetopts,
  stropts,
  mkctl,
  mkproto,
  putnextflush,
} from './msgs.ts';
export type { FlushReq, ErrorReq, StrOpts } from './msgs.ts';
export { modflush, drvflush } from './flush.ts';
export { describeQueue } from './trace.ts';
export type * from './trace.ts';
export { dumpStream } from './dump.ts';
export { headInfo } from './head.ts';
export { MAX_PENDING_IOCTLS } from './head-ioctl.ts';
export type { TypedEmitter, EventMap } from './emitter.ts';
export * from './tpi.ts';
