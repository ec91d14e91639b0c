/**
 * The UDP socket between the bridge and socat: one raw IPv4 packet per datagram. It accepts
 * datagrams only from socat's address and port (anything else is counted and dropped) and
 * sends to the same place. The socket buffers are enlarged so that a burst from fifty
 * connections at once waits in the kernel rather than being lost there.
 */
import dgram from 'node:dgram';
import type { TunBridge } from './bridge.ts';
import { BRIDGE_PORT, LOOPBACK, SOCAT_PORT } from './plan.ts';

export interface UdpWireOptions {
  host?: string;
  /** Our port (default BRIDGE_PORT; 0 picks a free one, for specs). */
  port?: number;
  peerHost?: string;
  peerPort?: number;
  bufferBytes?: number;
}

export class UdpWire {
  private constructor(
    private readonly sock: dgram.Socket,
    private readonly bridge: TunBridge,
    readonly port: number,
  ) {}

  static open(bridge: TunBridge, opts: UdpWireOptions = {}): Promise<UdpWire> {
    const host = opts.host ?? LOOPBACK;
    const peerHost = opts.peerHost ?? LOOPBACK;
    const peerPort = opts.peerPort ?? SOCAT_PORT;
    const sock = dgram.createSocket({ type: 'udp4' });
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(opts.port ?? BRIDGE_PORT, host, () => {
        sock.off('error', reject);
        const bytes = opts.bufferBytes ?? 8 * 1024 * 1024;
        try {
          sock.setRecvBufferSize(bytes);
          sock.setSendBufferSize(bytes);
        } catch {
          // the kernel caps these (net.core.rmem_max); the defaults still work, only smaller
        }
        sock.on('message', (msg, rinfo) => {
          if (rinfo.port !== peerPort || rinfo.address !== peerHost) {
            bridge.stats.dropForeign++;
            return;
          }
          bridge.fromTun(msg);
        });
        // A send to a port nobody listens on yet (socat still starting) comes back as an error
        // here; the send callback counts it already.
        sock.on('error', () => {});
        bridge.connect((packet, done) => sock.send(packet, peerPort, peerHost, (err) => done(err ?? null)));
        resolve(new UdpWire(sock, bridge, sock.address().port));
      });
    });
  }

  close(): Promise<void> {
    // What the world sends from now on is dropped and counted, not sent on a closed socket.
    this.bridge.connect(null);
    return new Promise((resolve) => {
      try {
        this.sock.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
