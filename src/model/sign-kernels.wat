;; Bit-packed products of ±1 matrices for the trainer's forward pass (src/model/sign-kernels.ts).
;; A ±1 row of length k is kw = ceil(k/64) 64-bit words, bit j set where the value is −1 (bits past
;; k are 0). For two such rows, a·b = k − 2·popcount(a XOR b): an exact integer, as the float
;; product of ±1 values is whenever |a·b| < 2^24. Assembled by `node scripts/wasm.js` into
;; sign-kernels.wasm.ts; test/model/sign-kernels.test.ts checks the two agree.
(module
  (memory (export "memory") 1)

  ;; Rows of the f32 matrix at $src [rows, k] → packed rows at $dst, 8·kw bytes each. A value is −1
  ;; when it is < 0 (so −0 packs as +1, as sign(−0) = +1 in the trainer). Returns 1 if any value is
  ;; NaN (which has no sign to pack), else 0.
  (func (export "pack_signs") (param $src i32) (param $rows i32) (param $k i32) (param $dst i32) (param $kw i32) (result i32)
    (local $r i32) (local $j i32) (local $k4 i32) (local $row i32) (local $at i32) (local $bits i64)
    (local $v v128) (local $nan v128) (local $nan1 i32)
    (local.set $k4 (i32.and (local.get $k) (i32.const -4)))
    (memory.fill (local.get $dst) (i32.const 0) (i32.mul (i32.mul (local.get $rows) (local.get $kw)) (i32.const 8)))
    (local.set $r (i32.const 0))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $row (i32.add (local.get $dst) (i32.mul (local.get $r) (i32.shl (local.get $kw) (i32.const 3)))))
        ;; four values at a time: the sign bits of a lane-wise (v < 0)
        (local.set $j (i32.const 0))
        (block $quads_done
          (loop $quads
            (br_if $quads_done (i32.ge_u (local.get $j) (local.get $k4)))
            (local.set $v (v128.load (local.get $src)))
            (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
            (local.set $bits (i64.extend_i32_u (i32x4.bitmask (f32x4.lt (local.get $v) (v128.const f32x4 0 0 0 0)))))
            (local.set $at (i32.add (local.get $row) (i32.shl (i32.shr_u (local.get $j) (i32.const 6)) (i32.const 3))))
            (i64.store (local.get $at)
              (i64.or (i64.load (local.get $at))
                (i64.shl (local.get $bits) (i64.extend_i32_u (i32.and (local.get $j) (i32.const 63))))))
            (local.set $src (i32.add (local.get $src) (i32.const 16)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $quads)))
        ;; the last k mod 4 values one at a time
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $j) (local.get $k)))
            (local.set $nan1 (i32.or (local.get $nan1) (f32.ne (f32.load (local.get $src)) (f32.load (local.get $src)))))
            (local.set $at (i32.add (local.get $row) (i32.shl (i32.shr_u (local.get $j) (i32.const 6)) (i32.const 3))))
            (i64.store (local.get $at)
              (i64.or (i64.load (local.get $at))
                (i64.shl (i64.extend_i32_u (f32.lt (f32.load (local.get $src)) (f32.const 0)))
                  (i64.extend_i32_u (i32.and (local.get $j) (i32.const 63))))))
            (local.set $src (i32.add (local.get $src) (i32.const 4)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tail)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows)))
    (i32.or (local.get $nan1) (v128.any_true (local.get $nan))))

  ;; out[i, c] = (k − 2·popcount(a_i XOR b_c))·scale as f32 for packed rows a [m, kw] and b [n, kw]:
  ;; the product A·Bᵀ of the ±1 matrices, scaled once in f32 (as tf.mul(tf.matMul(…), scale) does).
  ;; Four columns share each load of a row's word.
  (func (export "sign_matmul") (param $a i32) (param $m i32) (param $b i32) (param $n i32) (param $kw i32) (param $k i32) (param $scale f32) (param $out i32)
    (local $i i32) (local $c i32) (local $w i32) (local $n4 i32) (local $stride i32) (local $arow i32)
    (local $b0 i32) (local $b1 i32) (local $b2 i32) (local $b3 i32) (local $aw i64)
    (local $s0 i64) (local $s1 i64) (local $s2 i64) (local $s3 i64) (local $kk i64)
    (local.set $stride (i32.shl (local.get $kw) (i32.const 3)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $kk (i64.extend_i32_u (local.get $k)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $arow (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $stride))))
        (local.set $c (i32.const 0))
        (block $quads_done
          (loop $quads
            (br_if $quads_done (i32.ge_u (local.get $c) (local.get $n4)))
            (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $c) (local.get $stride))))
            (local.set $b1 (i32.add (local.get $b0) (local.get $stride)))
            (local.set $b2 (i32.add (local.get $b1) (local.get $stride)))
            (local.set $b3 (i32.add (local.get $b2) (local.get $stride)))
            (local.set $s0 (i64.const 0))
            (local.set $s1 (i64.const 0))
            (local.set $s2 (i64.const 0))
            (local.set $s3 (i64.const 0))
            (local.set $w (i32.const 0))
            (loop $words
              (local.set $aw (i64.load (i32.add (local.get $arow) (local.get $w))))
              (local.set $s0 (i64.add (local.get $s0) (i64.popcnt (i64.xor (local.get $aw) (i64.load (i32.add (local.get $b0) (local.get $w)))))))
              (local.set $s1 (i64.add (local.get $s1) (i64.popcnt (i64.xor (local.get $aw) (i64.load (i32.add (local.get $b1) (local.get $w)))))))
              (local.set $s2 (i64.add (local.get $s2) (i64.popcnt (i64.xor (local.get $aw) (i64.load (i32.add (local.get $b2) (local.get $w)))))))
              (local.set $s3 (i64.add (local.get $s3) (i64.popcnt (i64.xor (local.get $aw) (i64.load (i32.add (local.get $b3) (local.get $w)))))))
              (local.set $w (i32.add (local.get $w) (i32.const 8)))
              (br_if $words (i32.lt_u (local.get $w) (local.get $stride))))
            (f32.store offset=0 (local.get $out) (f32.mul (f32.convert_i64_s (i64.sub (local.get $kk) (i64.shl (local.get $s0) (i64.const 1)))) (local.get $scale)))
            (f32.store offset=4 (local.get $out) (f32.mul (f32.convert_i64_s (i64.sub (local.get $kk) (i64.shl (local.get $s1) (i64.const 1)))) (local.get $scale)))
            (f32.store offset=8 (local.get $out) (f32.mul (f32.convert_i64_s (i64.sub (local.get $kk) (i64.shl (local.get $s2) (i64.const 1)))) (local.get $scale)))
            (f32.store offset=12 (local.get $out) (f32.mul (f32.convert_i64_s (i64.sub (local.get $kk) (i64.shl (local.get $s3) (i64.const 1)))) (local.get $scale)))
            (local.set $out (i32.add (local.get $out) (i32.const 16)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $quads)))
        ;; the last n mod 4 columns one at a time
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $c) (local.get $n)))
            (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $c) (local.get $stride))))
            (local.set $s0 (i64.const 0))
            (local.set $w (i32.const 0))
            (loop $words1
              (local.set $s0 (i64.add (local.get $s0)
                (i64.popcnt (i64.xor (i64.load (i32.add (local.get $arow) (local.get $w))) (i64.load (i32.add (local.get $b0) (local.get $w)))))))
              (local.set $w (i32.add (local.get $w) (i32.const 8)))
              (br_if $words1 (i32.lt_u (local.get $w) (local.get $stride))))
            (f32.store (local.get $out) (f32.mul (f32.convert_i64_s (i64.sub (local.get $kk) (i64.shl (local.get $s0) (i64.const 1)))) (local.get $scale)))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $tail)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))))
