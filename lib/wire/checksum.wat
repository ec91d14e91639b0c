;; The bulk of the Internet checksum (lib/wire/checksum.ts), in WebAssembly with 128-bit SIMD.
;; The caller copies a buffer to offset 0 of `mem` and calls sum(start, len) for the bytes
;; [start, start+len) of it; the result is the sum of those bytes read as little-endian 32-bit
;; words from `start` on (any alignment), the bytes past the end up to the next 16-byte block
;; counted as zero (sum overwrites them with zeros first). WebAssembly loads are little-
;; endian on every host, so the caller folds the result and swaps its two bytes to get the
;; big-endian one's complement sum (RFC 1071 §2(B): the sum is byte-order independent).
;; Each 64-bit lane adds 32-bit words, so nothing is lost below 2^32 words; the caller sums at
;; most 64 KiB per call. Compiled to the bytes in checksum-wasm.ts by `wat2wasm` (wabt); the
;; spec in spec/wire/checksum.spec.ts checks that the two agree.
(module
  (memory (export "mem") 2)
  (func (export "sum") (param $p i32) (param $len i32) (result f64)
    (local $end i32) (local $v v128) (local $acc v128)
    ;; Round up to whole 16-byte blocks from $p, zeroing the padding.
    (local.set $end (i32.add (local.get $p) (i32.and (i32.add (local.get $len) (i32.const 15)) (i32.const -16))))
    (memory.fill (i32.add (local.get $p) (local.get $len)) (i32.const 0) (i32.sub (local.get $end) (i32.add (local.get $p) (local.get $len))))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $acc (i64x2.add (local.get $acc) (i64x2.extend_low_i32x4_u (local.get $v))))
        (local.set $acc (i64x2.add (local.get $acc) (i64x2.extend_high_i32x4_u (local.get $v))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $blocks)))
    (f64.convert_i64_u
      (i64.add (i64x2.extract_lane 0 (local.get $acc)) (i64x2.extract_lane 1 (local.get $acc))))))
