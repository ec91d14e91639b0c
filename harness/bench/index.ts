/** Imports every area's benchmarks so that they register themselves with the suite. */
import './sim.ts';
import './wire.ts';
import './handoff.ts';
import './streams.ts';
import './packetdrill.ts';
import './tcp.ts';
import './sockets.ts';
import './handoff-cluster.ts';
