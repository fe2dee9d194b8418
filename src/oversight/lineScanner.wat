;; The call record line scanner (see lineScanner.ts): finds the lines of a chunk of a record file, tells
;; whole flat JSON objects from anything else (a crash's torn line), and writes where each known field's
;; value is. The same grammar as the reader has always accepted (test/oversight/recordScan.test.ts):
;; `{`, members `"key":value` split by commas (a trailing comma allowed), `}`, then only carriage returns
;; or spaces. A value is a string (a backslash escapes the next byte) or a bare run up to a comma or brace.
;; Sixteen bytes are looked at a time (SIMD) for a newline, a quote or a backslash: JavaScript's best here
;; was eight, with a call's worth of work per member besides.
;;
;; Memory, from 0: the key table and the key texts (written by lineScanner.ts), the line records
;; this writes, then the bytes read from the file. At least 16 bytes of memory follow the last byte read,
;; so a 16-byte load may overrun the chunk.
(module
  (memory (export "memory") 10)
  ;; Field by key code (length, first and last byte: see $code), -1 for none: 64 KiB.
  (global $keyCodes (export "KEY_CODES") i32 (i32.const 0))
  ;; Each field's key, 16 bytes per field, zero-padded.
  (global $keyText (export "KEY_TEXT") i32 (i32.const 65536))
  ;; A record per line: line start, newline, 1 when a whole object, 0, then per field the value's start
  ;; and end (a string's without its quotes), -1 when absent, then two words of padding (a record is
  ;; whole 16-byte stores). 56 words.
  (global $out (export "OUT") i32 (i32.const 66560))
  (global $outLines (export "OUT_LINES") i32 (i32.const 1024))
  (global (export "RECORD_WORDS") i32 (i32.const 56))
  (global (export "FIELDS") i32 (i32.const 25))
  ;; Where the file's bytes go (page aligned).
  (global (export "IN") i32 (i32.const 327680))
  ;; Where the next scan should start: just past the last newline looked at.
  (global $resume (export "resume") (mut i32) (i32.const 0))

  ;; The first byte in [i, end) that is $a or $b, else end.
  (func $find (param $i i32) (param $end i32) (param $a i32) (param $b i32) (result i32)
    (local $va v128) (local $vb v128) (local $v v128) (local $m i32)
    (local.set $va (i8x16.splat (local.get $a)))
    (local.set $vb (i8x16.splat (local.get $b)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $v (v128.load (local.get $i)))
        (local.set $m (i8x16.bitmask (v128.or (i8x16.eq (local.get $v) (local.get $va)) (i8x16.eq (local.get $v) (local.get $vb)))))
        (if (local.get $m)
          (then
            (local.set $i (i32.add (local.get $i) (i32.ctz (local.get $m))))
            (return (select (local.get $i) (local.get $end) (i32.lt_u (local.get $i) (local.get $end))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (local.get $end))

  ;; The field whose key is the `len` bytes at $at, or -1: the key code points at a field, whose text
  ;; (zero-padded) must equal the key's bytes, masked to its length.
  (func $field (param $at i32) (param $len i32) (result i32)
    (local $f i32)
    (if (i32.or (i32.eqz (local.get $len)) (i32.gt_u (local.get $len) (i32.const 15))) (then (return (i32.const -1))))
    (local.set $f (i32.load8_s (i32.add (global.get $keyCodes) (i32.or (i32.shl (local.get $len) (i32.const 12))
      (i32.or (i32.shl (i32.and (i32.load8_u (local.get $at)) (i32.const 63)) (i32.const 6))
        (i32.and (i32.load8_u (i32.sub (i32.add (local.get $at) (local.get $len)) (i32.const 1))) (i32.const 63)))))))
    (if (i32.lt_s (local.get $f) (i32.const 0)) (then (return (i32.const -1))))
    (select (local.get $f) (i32.const -1)
      (i8x16.all_true (i8x16.eq
        (v128.and (v128.load (local.get $at))
          (i8x16.gt_u (i8x16.splat (local.get $len)) (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)))
        (v128.load (i32.add (global.get $keyText) (i32.shl (local.get $f) (i32.const 4))))))))

  ;; Scans the line [start, end) into the record at $rec; 1 when it is one whole flat object.
  (func $line (param $start i32) (param $end i32) (param $rec i32) (result i32)
    (local $i i32) (local $k i32) (local $f i32) (local $vs i32) (local $c i32) (local $slot i32) (local $m i32) (local $v v128)
    ;; No field seen yet.
    (local.set $slot (i32.add (local.get $rec) (i32.const 16)))
    (local.set $k (i32.add (local.get $slot) (i32.const 208)))
    (loop $clear
      (v128.store (local.get $slot) (v128.const i32x4 -1 -1 -1 -1))
      (local.set $slot (i32.add (local.get $slot) (i32.const 16)))
      (br_if $clear (i32.lt_u (local.get $slot) (local.get $k))))
    (block $trimmed
      (loop $trim
        (br_if $trimmed (i32.le_u (local.get $end) (local.get $start)))
        (local.set $c (i32.load8_u (i32.sub (local.get $end) (i32.const 1))))
        (br_if $trimmed (i32.and (i32.ne (local.get $c) (i32.const 0x0d)) (i32.ne (local.get $c) (i32.const 0x20))))
        (local.set $end (i32.sub (local.get $end) (i32.const 1)))
        (br $trim)))
    (if (i32.le_u (local.get $end) (local.get $start)) (then (return (i32.const 0))))
    (if (i32.or (i32.ne (i32.load8_u (local.get $start)) (i32.const 0x7b)) (i32.ne (i32.load8_u (i32.sub (local.get $end) (i32.const 1))) (i32.const 0x7d)))
      (then (return (i32.const 0))))
    (local.set $i (i32.add (local.get $start) (i32.const 1)))
    (loop $member
      ;; Not a key: the object ends here or the line is no record.
      (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x22))
        (then (return (i32.eq (local.get $i) (i32.sub (local.get $end) (i32.const 1))))))
      ;; The key's closing quote: in its first 16 bytes (every key the writer uses), else further on.
      (local.set $k (i32.add (local.get $i) (i32.const 1)))
      (local.set $m (i8x16.bitmask (i8x16.eq (v128.load (local.get $k)) (v128.const i8x16 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22))))
      (if (local.get $m)
        (then (local.set $k (i32.add (local.get $k) (i32.ctz (local.get $m)))))
        (else (local.set $k (call $find (i32.add (local.get $k) (i32.const 16)) (local.get $end) (i32.const 0x22) (i32.const 0x22)))))
      (if (i32.ge_u (local.get $k) (local.get $end)) (then (return (i32.const 0))))
      (if (i32.ne (i32.load8_u (i32.add (local.get $k) (i32.const 1))) (i32.const 0x3a)) (then (return (i32.const 0))))
      (local.set $f (call $field (i32.add (local.get $i) (i32.const 1)) (i32.sub (local.get $k) (i32.add (local.get $i) (i32.const 1)))))
      (local.set $i (i32.add (local.get $k) (i32.const 2)))
      (if (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x22))
        (then
          ;; A string: to its closing quote, past escaped bytes.
          (local.set $vs (i32.add (local.get $i) (i32.const 1)))
          (local.set $k (local.get $vs))
          (loop $escaped
            (local.set $v (v128.load (local.get $k)))
            (local.set $m (i8x16.bitmask (v128.or (i8x16.eq (local.get $v) (v128.const i8x16 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22)) (i8x16.eq (local.get $v) (v128.const i8x16 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c)))))
            (if (local.get $m)
              (then (local.set $k (i32.add (local.get $k) (i32.ctz (local.get $m)))))
              (else (local.set $k (call $find (i32.add (local.get $k) (i32.const 16)) (local.get $end) (i32.const 0x22) (i32.const 0x5c)))))
            (if (i32.ge_u (local.get $k) (local.get $end)) (then (return (i32.const 0))))
            (if (i32.eq (i32.load8_u (local.get $k)) (i32.const 0x5c))
              (then
                (local.set $k (i32.add (local.get $k) (i32.const 2)))
                (br $escaped))))
          (local.set $i (i32.add (local.get $k) (i32.const 1))))
        (else
          ;; A bare value: up to the next comma or brace, never empty.
          (local.set $vs (local.get $i))
          (block $bare
            (loop $byte
              (br_if $bare (i32.ge_u (local.get $i) (local.get $end)))
              (local.set $c (i32.load8_u (local.get $i)))
              (br_if $bare (i32.or (i32.eq (local.get $c) (i32.const 0x2c)) (i32.eq (local.get $c) (i32.const 0x7d))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $byte)))
          (if (i32.eq (local.get $i) (local.get $vs)) (then (return (i32.const 0))))
          (local.set $k (local.get $i))))
      (if (i32.ge_s (local.get $f) (i32.const 0))
        (then
          (local.set $slot (i32.add (local.get $rec) (i32.add (i32.const 16) (i32.shl (local.get $f) (i32.const 3)))))
          (i32.store (local.get $slot) (local.get $vs))
          (i32.store offset=4 (local.get $slot) (local.get $k))))
      (local.set $c (i32.load8_u (local.get $i)))
      (if (i32.eq (local.get $c) (i32.const 0x2c))
        (then
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $member)))
      (return (i32.and (i32.eq (local.get $c) (i32.const 0x7d)) (i32.eq (local.get $i) (i32.sub (local.get $end) (i32.const 1))))))
    (i32.const 0))

  ;; Records the lines of [from, to) that end in a newline (empty ones skipped), at most OUT_LINES of
  ;; them; returns how many, and sets `resume` past the last newline looked at.
  (func (export "scan") (param $from i32) (param $to i32) (result i32)
    (local $n i32) (local $nl i32) (local $rec i32)
    (local.set $rec (global.get $out))
    (block $full
      (loop $next
        (br_if $full (i32.ge_u (local.get $n) (global.get $outLines)))
        (local.set $nl (call $find (local.get $from) (local.get $to) (i32.const 0x0a) (i32.const 0x0a)))
        (br_if $full (i32.ge_u (local.get $nl) (local.get $to)))
        (if (i32.gt_u (local.get $nl) (local.get $from))
          (then
            (i32.store (local.get $rec) (local.get $from))
            (i32.store offset=4 (local.get $rec) (local.get $nl))
            (i32.store offset=8 (local.get $rec) (call $line (local.get $from) (local.get $nl) (local.get $rec)))
            (local.set $rec (i32.add (local.get $rec) (i32.const 224)))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (local.set $from (i32.add (local.get $nl) (i32.const 1)))
        (br $next)))
    (global.set $resume (local.get $from))
    (local.get $n)))
