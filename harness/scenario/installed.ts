/**
 * The scenario plug-ins of this build, installed by importing this file (the CLI commands do).
 * Each plug-in's owner adds one import line here for a file that calls
 * registerScenarioPlugins (plugins.ts):
 *
 *   TCP and the socket layer   -> { tcp }      (modules/tcp driver, harness/sockets)
 *   web servers and workloads  -> { apps }     (harness/apps)
 *   the handoff cluster roles  -> { cluster }  (modules/utcp, modules/btcp)
 *
 * None is in this build yet; runs say so in their notices (build.ts).
 */
export {};
