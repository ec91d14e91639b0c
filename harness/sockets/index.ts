/**
 * Sockets for applications, on the stream head of an emulated host's transport (docs/sockets.md).
 *
 * - socketCalls(host): the C-style calls (socket, bind, listen, accept, connect, read, recv,
 *   write, send, shutdown, close, setsockopt, getsockopt, fcntl, poll, ioctl) with Linux
 *   semantics and errno names, for the packetdrill runner and socket-level specs.
 * - createServer / createConnection: net-module look-alikes whose sockets are Duplex streams
 *   that Node's http server and client run over unchanged; serveHttp / EmulatedAgent /
 *   httpConnector wire Node's http to them with its timers kept on virtual time.
 */
export { socketLayer, SocketLayer, envOf, type HostLike, type SocketLayerOptions } from './layer.ts';
export { socketCalls, SocketCalls, SOCK_NONBLOCK, SOCK_CLOEXEC, FIONREAD, SIOCOUTQ, type PollFd, type PollResult, type NameResult } from './syscalls.ts';
export { Call } from './call.ts';
export { Sock, SOMAXCONN, type SockState, type TcpView } from './sock.ts';
export * from './types.ts';
export * from './options.ts';
export { ERRNO, errnoName, isErrnoName, tliErrno, type ErrnoName } from './errno.ts';
export { NetSocket, type NetSocketOptions, type AddressInfo } from './net-socket.ts';
export { NetServer, createServer, createConnection, type ServerOptions, type ListenOptions, type ConnectOptions } from './net-server.ts';
export { serveHttp, virtualizeHttpServer, EmulatedAgent, httpConnector, VIRTUAL_EPOCH_MS, type ServeHttpOptions } from './http.ts';
export { sysError, type NodeSysError } from './node-errors.ts';
export { default as sockmod, type SockUpcalls } from './sockmod.ts';
export { syscallTarget } from './syscall-target.ts';
