/**
 * lib/wire/checksum.wat compiled by wat2wasm (wabt). Kept as bytes so nothing is compiled at
 * run time; spec/wire/checksum.spec.ts recompiles the .wat and checks these bytes against it.
 */
export const CHECKSUM_WASM_BASE64 =
  'AGFzbQEAAAABBwFgAn9/AXwDAgEABQMBAAIHDQIDbWVtAgADc3VtAAAKaQFnAgF/AnsgACABQQ9qQXBxaiECIAAgAWpBACACIAAgAWpr/AsAAkADQCAAIAJPDQEgAP0ABAAhAyAEIAP9yQH9zgEhBCAEIAP9ygH9zgEhBCAAQRBqIQAMAAsLIAT9HQAgBP0dAXy6Cw==';
