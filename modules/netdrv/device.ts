/**
 * What the network driver needs from the hardware below it: the seam between a host's STREAMS
 * stack and the emulated world. The harness implements NetDevice (harness/world/interface.ts)
 * and passes one to each netdrv open; the driver never learns what is behind it.
 */

/**
 * The protocol address of a neighbour on the same network (the next hop), which the device
 * resolves to a port as ARP would. An IPv4 address as its u32; IPv6 will use canonical text.
 */
export type NeighbourAddr = number | string;

export interface NetDeviceEvents {
  /** A packet arrived; the driver owns `packet` from now on. */
  receive(packet: Uint8Array): void;
  /** Carrier went up or down. */
  carrier?(up: boolean): void;
}

export interface NetDevice {
  readonly name: string;
  readonly mtu: number;
  /** Carrier state (false while the link is down). */
  readonly carrier: boolean;
  /**
   * Put one packet on the wire toward `nextHop` (null: the destination address in the packet,
   * or the only peer of a point-to-point link). The device owns `packet` from now on. Returns
   * false when the device dropped it (down, too big, queue full); the device counts why.
   */
  transmit(packet: Uint8Array, nextHop: NeighbourAddr | null): boolean;
  /** Connect the driver (one at a time); null disconnects. */
  bind(events: NetDeviceEvents | null): void;
}
