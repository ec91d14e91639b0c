/**
 * lib/wire/checksum.wat compiled by wat2wasm (wabt). Kept as bytes so nothing is compiled at
 * run time; spec/wire/checksum.spec.ts recompiles the .wat and checks these bytes against it.
 */
export const CHECKSUM_WASM_BASE64 =
  'AGFzbQEAAAABBgFgAX8BfAMCAQAFAwEAAgcNAgNtZW0CAANzdW0AAApgAV4CAn8CeyAAQQ9qQXBxIQIgAEEAIAIgAGv8CwACQANAIAEgAk8NASAB/QAEACEDIAQgA/3JAf3OASEEIAQgA/3KAf3OASEEIAFBEGohAQwACwsgBP0dACAE/R0BfLoL';
