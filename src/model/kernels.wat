;; bitscale's WebAssembly kernels for the trainer (src/model/kernels.ts loads them): packing signs
;; and the popcount product of two ±1 matrices, the table-lookup product of a float and a ±1 matrix
;; (both wrapped by sign-kernels.ts), the hard attention's causal scores and gradients
;; (attention-kernels.ts), and AdamW over flat arrays (src/train/adamw.ts). Assembled by
;; `node scripts/wasm.js` into kernels.wasm.ts; test/model/sign-kernels.test.ts checks the two agree.
;;
;; A ±1 row of length k packs into kw = ceil(k/64) 64-bit words, bit j set where the value is −1
;; (bits past k are 0). For two such rows, a·b = k − 2·popcount(a XOR b): an exact integer, as the
;; float product of ±1 values is whenever |a·b| < 2^24.
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

  ;; The columns of the f32 matrix at $src [k, n] → packed rows at $dst (column c is row c, 8·kw
  ;; bytes): the same signs as pack_signs of the transpose, without making it. Returns 1 if any
  ;; value is NaN, else 0.
  (func (export "pack_sign_columns") (param $src i32) (param $k i32) (param $n i32) (param $dst i32) (param $kw i32) (result i32)
    (local $c i32) (local $j i32) (local $at i32) (local $x f32) (local $nan i32) (local $word i64) (local $rowb i32)
    (local.set $rowb (i32.shl (local.get $n) (i32.const 2)))
    (memory.fill (local.get $dst) (i32.const 0) (i32.mul (i32.mul (local.get $n) (local.get $kw)) (i32.const 8)))
    (local.set $c (i32.const 0))
    (block $done
      (loop $columns
        (br_if $done (i32.ge_u (local.get $c) (local.get $n)))
        (local.set $at (i32.add (local.get $src) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $j (i32.const 0))
        (local.set $word (i64.const 0))
        (block $rows_done
          (loop $rows
            (br_if $rows_done (i32.ge_u (local.get $j) (local.get $k)))
            (local.set $x (f32.load (local.get $at)))
            (local.set $nan (i32.or (local.get $nan) (f32.ne (local.get $x) (local.get $x))))
            (local.set $word (i64.or (local.get $word)
              (i64.shl (i64.extend_i32_u (f32.lt (local.get $x) (f32.const 0))) (i64.extend_i32_u (i32.and (local.get $j) (i32.const 63))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (local.set $at (i32.add (local.get $at) (local.get $rowb)))
            ;; a full word, or the last one: store it
            (if (i32.or (i32.eqz (i32.and (local.get $j) (i32.const 63))) (i32.eq (local.get $j) (local.get $k)))
              (then
                (i64.store
                  (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $kw)) (i32.shr_u (i32.sub (local.get $j) (i32.const 1)) (i32.const 6))) (i32.const 3)))
                  (local.get $word))
                (local.set $word (i64.const 0))))
            (br $rows)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $columns)))
    (local.get $nan))

;; pack_sign_columns for n a multiple of 4, four columns at a time with SIMD: for each band of 64
  ;; rows (one word of every column), each row's four values give one bit per lane, lane L
  ;; collecting column c + L's word in two i32 halves. The band is swept across all columns before
  ;; the next, so each row's cache lines serve every column that reads them. Same bits and NaN check.
  (func (export "pack_sign_columns4") (param $src i32) (param $k i32) (param $n i32) (param $dst i32) (param $kw i32) (result i32)
    (local $w i32) (local $c i32) (local $j i32) (local $rows i32) (local $at i32) (local $rowb i32) (local $o i32)
    (local $v v128) (local $lo v128) (local $hi v128) (local $nan v128) (local $bit v128) (local $pair v128)
    (local.set $rowb (i32.shl (local.get $n) (i32.const 2)))
    (local.set $w (i32.const 0))
    (block $done
      (loop $bands
        (br_if $done (i32.ge_u (local.get $w) (local.get $kw)))
        ;; rows 64w … 64w + rows − 1 of this band
        (local.set $rows (i32.sub (local.get $k) (i32.shl (local.get $w) (i32.const 6))))
        (if (i32.gt_u (local.get $rows) (i32.const 64)) (then (local.set $rows (i32.const 64))))
        (local.set $c (i32.const 0))
        (loop $columns
          (local.set $lo (v128.const i32x4 0 0 0 0))
          (local.set $hi (v128.const i32x4 0 0 0 0))
          (local.set $at (i32.add (local.get $src) (i32.add (i32.mul (i32.shl (local.get $w) (i32.const 6)) (local.get $rowb)) (i32.shl (local.get $c) (i32.const 2)))))
          (local.set $bit (v128.const i32x4 1 1 1 1))
          (local.set $j (i32.const 0))
          (loop $low
            (local.set $v (v128.load (local.get $at)))
            (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
            (local.set $lo (v128.or (local.get $lo) (v128.and (f32x4.lt (local.get $v) (v128.const f32x4 0 0 0 0)) (local.get $bit))))
            (local.set $bit (i32x4.shl (local.get $bit) (i32.const 1)))
            (local.set $at (i32.add (local.get $at) (local.get $rowb)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $low (i32.lt_u (local.get $j) (select (local.get $rows) (i32.const 32) (i32.lt_u (local.get $rows) (i32.const 32))))))
          (if (i32.gt_u (local.get $rows) (i32.const 32))
            (then
              (local.set $bit (v128.const i32x4 1 1 1 1))
              (loop $high
                (local.set $v (v128.load (local.get $at)))
                (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
                (local.set $hi (v128.or (local.get $hi) (v128.and (f32x4.lt (local.get $v) (v128.const f32x4 0 0 0 0)) (local.get $bit))))
                (local.set $bit (i32x4.shl (local.get $bit) (i32.const 1)))
                (local.set $at (i32.add (local.get $at) (local.get $rowb)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br_if $high (i32.lt_u (local.get $j) (local.get $rows))))))
          ;; word w of columns c … c + 3: lane L's (lo, hi) as one i64
          (local.set $o (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $kw)) (local.get $w)) (i32.const 3))))
          (local.set $pair (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $lo) (local.get $hi)))
          (i64.store (local.get $o) (i64x2.extract_lane 0 (local.get $pair)))
          (local.set $o (i32.add (local.get $o) (i32.shl (local.get $kw) (i32.const 3))))
          (i64.store (local.get $o) (i64x2.extract_lane 1 (local.get $pair)))
          (local.set $pair (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $lo) (local.get $hi)))
          (local.set $o (i32.add (local.get $o) (i32.shl (local.get $kw) (i32.const 3))))
          (i64.store (local.get $o) (i64x2.extract_lane 0 (local.get $pair)))
          (local.set $o (i32.add (local.get $o) (i32.shl (local.get $kw) (i32.const 3))))
          (i64.store (local.get $o) (i64x2.extract_lane 1 (local.get $pair)))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br_if $columns (i32.lt_u (local.get $c) (local.get $n))))
        (local.set $w (i32.add (local.get $w) (i32.const 1)))
        (br $bands)))
    (v128.any_true (local.get $nan)))

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
        (br $rows))))

;; ---- AdamW over flat float32 arrays (src/train/adamw.ts, applyRange) ----
  ;; For k < n (a multiple of 4), every operation rounded to float32, in the order applyRange uses:
  ;;   g = g·clip;  m = m·b1 + g·nb1;  v = v·b2 + (g·g)·nb2;
  ;;   w = w·decay − ((m/c1) / (√(v/c2) + e))·rate.
  ;; With clip = 1, g·clip is g itself, as applyRange's unclipped branch reads it.
  (func (export "adamw")
    (param $w i32) (param $m i32) (param $v i32) (param $g i32) (param $n i32)
    (param $clip f32) (param $b1 f32) (param $nb1 f32) (param $b2 f32) (param $nb2 f32) (param $c1 f32) (param $c2 f32) (param $e f32) (param $decay f32) (param $rate f32)
    (local $k i32) (local $gk v128) (local $mk v128) (local $vk v128) (local $step v128)
    (local $vclip v128) (local $vb1 v128) (local $vnb1 v128) (local $vb2 v128) (local $vnb2 v128) (local $vc1 v128) (local $vc2 v128) (local $ve v128) (local $vdecay v128) (local $vrate v128)
    (local.set $vclip (f32x4.splat (local.get $clip)))
    (local.set $vb1 (f32x4.splat (local.get $b1)))
    (local.set $vnb1 (f32x4.splat (local.get $nb1)))
    (local.set $vb2 (f32x4.splat (local.get $b2)))
    (local.set $vnb2 (f32x4.splat (local.get $nb2)))
    (local.set $vc1 (f32x4.splat (local.get $c1)))
    (local.set $vc2 (f32x4.splat (local.get $c2)))
    (local.set $ve (f32x4.splat (local.get $e)))
    (local.set $vdecay (f32x4.splat (local.get $decay)))
    (local.set $vrate (f32x4.splat (local.get $rate)))
    (local.set $k (i32.const 0))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
        (local.set $gk (f32x4.mul (v128.load (i32.add (local.get $g) (i32.shl (local.get $k) (i32.const 2)))) (local.get $vclip)))
        (local.set $mk
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $m) (i32.shl (local.get $k) (i32.const 2)))) (local.get $vb1))
            (f32x4.mul (local.get $gk) (local.get $vnb1))))
        (local.set $vk
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $v) (i32.shl (local.get $k) (i32.const 2)))) (local.get $vb2))
            (f32x4.mul (f32x4.mul (local.get $gk) (local.get $gk)) (local.get $vnb2))))
        (local.set $step
          (f32x4.div
            (f32x4.div (local.get $mk) (local.get $vc1))
            (f32x4.add (f32x4.sqrt (f32x4.div (local.get $vk) (local.get $vc2))) (local.get $ve))))
        (v128.store (i32.add (local.get $w) (i32.shl (local.get $k) (i32.const 2)))
          (f32x4.sub
            (f32x4.mul (v128.load (i32.add (local.get $w) (i32.shl (local.get $k) (i32.const 2)))) (local.get $vdecay))
            (f32x4.mul (local.get $step) (local.get $vrate))))
        (v128.store (i32.add (local.get $m) (i32.shl (local.get $k) (i32.const 2))) (local.get $mk))
        (v128.store (i32.add (local.get $v) (i32.shl (local.get $k) (i32.const 2))) (local.get $vk))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $each))))

    ;; ---- Products with a ±1 factor on packed bits by table lookup (src/model/sign-kernels.ts) ----
  ;; R = A·S for a float matrix A [M, K] and a ±1 matrix S [K, N] given as packed columns (for each n,
  ;; kw 64-bit words, bit k set where S[k, n] = −1). Eight rows of A at a time (two vectors of four
  ;; lanes; rows past M are zeros and not written), in chunks of eight k: a table of the 256 signed
  ;; sums Σ_b ±A[·, 8c + b] per chunk, so that one lookup by the chunk's byte of S's column adds 64
  ;; products. Tables are built four chunks (32 KiB) at a time.
  ;;   $mode 0: A is [M, K] row-major and R is written [M, N] row-major;
  ;;   $mode 1: A is given as Aᵀ [K, M] row-major and R is written as Rᵀ [N, M] row-major.
  ;; M is a multiple of 4. Every result is multiplied by $scale. Scratch: $a8 32·(8·ceil(K/8)) bytes,
  ;; $tables 8192·4 bytes, $acc 32·N bytes.
  (func (export "sign_gemm")
    (param $a i32) (param $M i32) (param $K i32) (param $bits i32) (param $N i32) (param $kw i32) (param $mode i32) (param $scale f32)
    (param $out i32) (param $a8 i32) (param $tables i32) (param $acc i32)
    (local $m0 i32) (local $k i32) (local $k8 i32) (local $chunks i32) (local $c0 i32) (local $cn i32) (local $c i32) (local $n i32)
    (local $b i32) (local $half i32) (local $p i32) (local $t i32) (local $src i32) (local $col i32) (local $o i32) (local $rowb i32)
    (local $r i32) (local $end i32)
    (local $lo v128) (local $hi v128) (local $two0 v128) (local $two1 v128) (local $s0 v128) (local $s1 v128) (local $sc v128)
    (local.set $chunks (i32.shr_u (i32.add (local.get $K) (i32.const 7)) (i32.const 3)))
    (local.set $k8 (i32.shl (local.get $chunks) (i32.const 3)))
    (local.set $sc (f32x4.splat (local.get $scale)))
    (local.set $rowb (i32.shl (local.get $kw) (i32.const 3)))
    (local.set $m0 (i32.const 0))
    (loop $blocks
      ;; a8[k] = the eight rows' values at k (zero past K and past M)
      (memory.fill (local.get $a8) (i32.const 0) (i32.shl (local.get $k8) (i32.const 5)))
      (local.set $r (i32.const 0))
      ;; Aᵀ with all eight rows: two vectors per k
      (if (i32.and (local.get $mode) (i32.le_u (i32.add (local.get $m0) (i32.const 8)) (local.get $M)))
        (then
          (local.set $k (i32.const 0))
          (local.set $src (i32.add (local.get $a) (i32.shl (local.get $m0) (i32.const 2))))
          (local.set $o (local.get $a8))
          (loop $fill8
            (v128.store offset=0 (local.get $o) (v128.load offset=0 (local.get $src)))
            (v128.store offset=16 (local.get $o) (v128.load offset=16 (local.get $src)))
            (local.set $src (i32.add (local.get $src) (i32.shl (local.get $M) (i32.const 2))))
            (local.set $o (i32.add (local.get $o) (i32.const 32)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br_if $fill8 (i32.lt_u (local.get $k) (local.get $K))))
          (local.set $r (i32.const 8))))
      (block $filled
      (loop $fill_rows
        (br_if $filled (i32.ge_u (local.get $r) (i32.const 8)))
        (if (i32.lt_u (i32.add (local.get $m0) (local.get $r)) (local.get $M))
          (then
            (local.set $k (i32.const 0))
            (loop $fill
              (if (local.get $mode)
                (then
                  (f32.store (i32.add (local.get $a8) (i32.add (i32.shl (local.get $k) (i32.const 5)) (i32.shl (local.get $r) (i32.const 2))))
                    (f32.load (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $M)) (i32.add (local.get $m0) (local.get $r))) (i32.const 2))))))
                (else
                  (f32.store (i32.add (local.get $a8) (i32.add (i32.shl (local.get $k) (i32.const 5)) (i32.shl (local.get $r) (i32.const 2))))
                    (f32.load (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (i32.add (local.get $m0) (local.get $r)) (local.get $K)) (local.get $k)) (i32.const 2)))))))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br_if $fill (i32.lt_u (local.get $k) (local.get $K))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $fill_rows)))
      (memory.fill (local.get $acc) (i32.const 0) (i32.shl (local.get $N) (i32.const 5)))
      ;; four chunks at a time: build their tables, then add one lookup per chunk to every column
      (local.set $c0 (i32.const 0))
      (loop $groups
        (local.set $cn (i32.sub (local.get $chunks) (local.get $c0)))
        (if (i32.gt_u (local.get $cn) (i32.const 4)) (then (local.set $cn (i32.const 4))))
        (local.set $c (i32.const 0))
        (loop $build
          ;; table t (entries of 32 bytes): T[0] = Σ_b a_b; T[p + 2^b] = T[p] − 2·a_b for p < 2^b
          (local.set $t (i32.add (local.get $tables) (i32.shl (local.get $c) (i32.const 13))))
          (local.set $src (i32.add (local.get $a8) (i32.shl (i32.add (local.get $c0) (local.get $c)) (i32.const 8))))
          (v128.store offset=0 (local.get $t)
            (f32x4.add
              (f32x4.add
                (f32x4.add (v128.load offset=0 (local.get $src)) (v128.load offset=32 (local.get $src)))
                (f32x4.add (v128.load offset=64 (local.get $src)) (v128.load offset=96 (local.get $src))))
              (f32x4.add
                (f32x4.add (v128.load offset=128 (local.get $src)) (v128.load offset=160 (local.get $src)))
                (f32x4.add (v128.load offset=192 (local.get $src)) (v128.load offset=224 (local.get $src))))))
          (v128.store offset=16 (local.get $t)
            (f32x4.add
              (f32x4.add
                (f32x4.add (v128.load offset=16 (local.get $src)) (v128.load offset=48 (local.get $src)))
                (f32x4.add (v128.load offset=80 (local.get $src)) (v128.load offset=112 (local.get $src))))
              (f32x4.add
                (f32x4.add (v128.load offset=144 (local.get $src)) (v128.load offset=176 (local.get $src)))
                (f32x4.add (v128.load offset=208 (local.get $src)) (v128.load offset=240 (local.get $src))))))
          (local.set $b (i32.const 0))
          (loop $bits_loop
            (local.set $lo (v128.load offset=0 (i32.add (local.get $src) (i32.shl (local.get $b) (i32.const 5)))))
            (local.set $hi (v128.load offset=16 (i32.add (local.get $src) (i32.shl (local.get $b) (i32.const 5)))))
            (local.set $two0 (f32x4.add (local.get $lo) (local.get $lo)))
            (local.set $two1 (f32x4.add (local.get $hi) (local.get $hi)))
            (local.set $half (i32.shl (i32.const 32) (local.get $b)))
            (local.set $p (local.get $t))
            (local.set $o (i32.add (local.get $t) (local.get $half)))
            (local.set $end (local.get $o))
            (loop $entries
              (v128.store offset=0 (local.get $o) (f32x4.sub (v128.load offset=0 (local.get $p)) (local.get $two0)))
              (v128.store offset=16 (local.get $o) (f32x4.sub (v128.load offset=16 (local.get $p)) (local.get $two1)))
              (local.set $p (i32.add (local.get $p) (i32.const 32)))
              (local.set $o (i32.add (local.get $o) (i32.const 32)))
              (br_if $entries (i32.lt_u (local.get $p) (local.get $end))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br_if $bits_loop (i32.lt_u (local.get $b) (i32.const 8))))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br_if $build (i32.lt_u (local.get $c) (local.get $cn))))
        ;; lookups: for every column, the group's chunks
        (local.set $n (i32.const 0))
        (loop $columns
          (local.set $col (i32.add (i32.add (local.get $bits) (i32.mul (local.get $n) (local.get $rowb))) (local.get $c0)))
          (local.set $o (i32.add (local.get $acc) (i32.shl (local.get $n) (i32.const 5))))
          (local.set $s0 (v128.load offset=0 (local.get $o)))
          (local.set $s1 (v128.load offset=16 (local.get $o)))
          (if (i32.eq (local.get $cn) (i32.const 4))
            (then
              (local.set $t (i32.add (local.get $tables) (i32.shl (i32.load8_u offset=0 (local.get $col)) (i32.const 5))))
              (local.set $s0 (f32x4.add (local.get $s0) (v128.load offset=0 (local.get $t))))
              (local.set $s1 (f32x4.add (local.get $s1) (v128.load offset=16 (local.get $t))))
              (local.set $t (i32.add (local.get $tables) (i32.shl (i32.load8_u offset=1 (local.get $col)) (i32.const 5))))
              (local.set $s0 (f32x4.add (local.get $s0) (v128.load offset=8192 (local.get $t))))
              (local.set $s1 (f32x4.add (local.get $s1) (v128.load offset=8208 (local.get $t))))
              (local.set $t (i32.add (local.get $tables) (i32.shl (i32.load8_u offset=2 (local.get $col)) (i32.const 5))))
              (local.set $s0 (f32x4.add (local.get $s0) (v128.load offset=16384 (local.get $t))))
              (local.set $s1 (f32x4.add (local.get $s1) (v128.load offset=16400 (local.get $t))))
              (local.set $t (i32.add (local.get $tables) (i32.shl (i32.load8_u offset=3 (local.get $col)) (i32.const 5))))
              (local.set $s0 (f32x4.add (local.get $s0) (v128.load offset=24576 (local.get $t))))
              (local.set $s1 (f32x4.add (local.get $s1) (v128.load offset=24592 (local.get $t)))))
            (else
              (local.set $c (i32.const 0))
              (loop $lookups
                (local.set $t (i32.add (i32.add (local.get $tables) (i32.shl (local.get $c) (i32.const 13)))
                  (i32.shl (i32.load8_u (i32.add (local.get $col) (local.get $c))) (i32.const 5))))
                (local.set $s0 (f32x4.add (local.get $s0) (v128.load offset=0 (local.get $t))))
                (local.set $s1 (f32x4.add (local.get $s1) (v128.load offset=16 (local.get $t))))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br_if $lookups (i32.lt_u (local.get $c) (local.get $cn))))))
          (v128.store offset=0 (local.get $o) (local.get $s0))
          (v128.store offset=16 (local.get $o) (local.get $s1))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br_if $columns (i32.lt_u (local.get $n) (local.get $N))))
        (local.set $c0 (i32.add (local.get $c0) (i32.const 4)))
        (br_if $groups (i32.lt_u (local.get $c0) (local.get $chunks))))
      ;; results, scaled: rows m0 … m0 + 7 that exist
      (local.set $n (i32.const 0))
      (loop $write
        (local.set $o (i32.add (local.get $acc) (i32.shl (local.get $n) (i32.const 5))))
        (local.set $lo (f32x4.mul (v128.load offset=0 (local.get $o)) (local.get $sc)))
        (local.set $hi (f32x4.mul (v128.load offset=16 (local.get $o)) (local.get $sc)))
        (if (local.get $mode)
          (then
            (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $M)) (local.get $m0)) (i32.const 2))))
            (v128.store (local.get $o) (local.get $lo))
            (if (i32.lt_u (i32.add (local.get $m0) (i32.const 4)) (local.get $M)) (then (v128.store offset=16 (local.get $o) (local.get $hi)))))
          (else
            (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $m0) (local.get $N)) (local.get $n)) (i32.const 2))))
            (local.set $rowb (i32.shl (local.get $N) (i32.const 2)))
            (f32.store (local.get $o) (f32x4.extract_lane 0 (local.get $lo)))
            (f32.store (i32.add (local.get $o) (local.get $rowb)) (f32x4.extract_lane 1 (local.get $lo)))
            (f32.store (i32.add (local.get $o) (i32.shl (local.get $rowb) (i32.const 1))) (f32x4.extract_lane 2 (local.get $lo)))
            (f32.store (i32.add (local.get $o) (i32.mul (local.get $rowb) (i32.const 3))) (f32x4.extract_lane 3 (local.get $lo)))
            (if (i32.lt_u (i32.add (local.get $m0) (i32.const 4)) (local.get $M))
              (then
                (local.set $o (i32.add (local.get $o) (i32.shl (local.get $rowb) (i32.const 2))))
                (f32.store (local.get $o) (f32x4.extract_lane 0 (local.get $hi)))
                (f32.store (i32.add (local.get $o) (local.get $rowb)) (f32x4.extract_lane 1 (local.get $hi)))
                (f32.store (i32.add (local.get $o) (i32.shl (local.get $rowb) (i32.const 1))) (f32x4.extract_lane 2 (local.get $hi)))
                (f32.store (i32.add (local.get $o) (i32.mul (local.get $rowb) (i32.const 3))) (f32x4.extract_lane 3 (local.get $hi)))))
            (local.set $rowb (i32.shl (local.get $kw) (i32.const 3)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br_if $write (i32.lt_u (local.get $n) (local.get $N))))
      (local.set $m0 (i32.add (local.get $m0) (i32.const 8)))
      (br_if $blocks (i32.lt_u (local.get $m0) (local.get $M)))))

  ;; ---- Causal hard attention (src/model/attention-kernels.ts) ----
  ;; q, k, v and dout are [B·T, d] with head h in columns h·hd … h·hd + hd − 1 (d = H·hd); T and hd
  ;; are multiples of 4. Per (b, h) only keys j ≤ i are scored, four at a time, for blocks of four
  ;; queries i0 … i0 + 3 that share their groups of keys (the last group runs past each query and
  ;; is masked or ignored). All offsets are in bytes.

  ;; dst[c·T + j] = src row j, column c, for j < T and c < hd: one head's rows (rowb bytes apart), transposed.
  (func $transpose_head (param $src i32) (param $rowb i32) (param $hd i32) (param $T i32) (param $dst i32)
    (local $j i32) (local $c i32) (local $row i32)
    (local.set $j (i32.const 0))
    (loop $rows
      (local.set $row (i32.add (local.get $src) (i32.mul (local.get $j) (local.get $rowb))))
      (local.set $c (i32.const 0))
      (loop $cols
        (f32.store
          (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $T)) (local.get $j)) (i32.const 2)))
          (f32.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br_if $cols (i32.lt_u (local.get $c) (local.get $hd))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $j) (local.get $T)))))

  ;; out[r·T + j] = Σ_c a_r[c]·bT[c·T + j] for the four rows a_r at $a + r·rowb, c < hd, and
  ;; j < 4·groups (sums in order of c).
  (func $block_scores (param $a i32) (param $rowb i32) (param $bT i32) (param $T i32) (param $hd i32) (param $groups i32) (param $out i32)
    (local $g i32) (local $c i32) (local $hdb i32) (local $Tb i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $bp i32) (local $o i32)
    (local $b v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $Tb (i32.shl (local.get $T) (i32.const 2)))
    (local.set $hdb (i32.shl (local.get $hd) (i32.const 2)))
    (local.set $a1 (i32.add (local.get $a) (local.get $rowb)))
    (local.set $a2 (i32.add (local.get $a1) (local.get $rowb)))
    (local.set $a3 (i32.add (local.get $a2) (local.get $rowb)))
    (local.set $g (i32.const 0))
    (loop $groups
      (local.set $s0 (v128.const i32x4 0 0 0 0))
      (local.set $s1 (v128.const i32x4 0 0 0 0))
      (local.set $s2 (v128.const i32x4 0 0 0 0))
      (local.set $s3 (v128.const i32x4 0 0 0 0))
      (local.set $bp (i32.add (local.get $bT) (i32.shl (local.get $g) (i32.const 4))))
      (local.set $c (i32.const 0))
      (loop $inner
        (local.set $b (v128.load (local.get $bp)))
        (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (v128.load32_splat (i32.add (local.get $a) (local.get $c))) (local.get $b))))
        (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (v128.load32_splat (i32.add (local.get $a1) (local.get $c))) (local.get $b))))
        (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (v128.load32_splat (i32.add (local.get $a2) (local.get $c))) (local.get $b))))
        (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (v128.load32_splat (i32.add (local.get $a3) (local.get $c))) (local.get $b))))
        (local.set $bp (i32.add (local.get $bp) (local.get $Tb)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br_if $inner (i32.lt_u (local.get $c) (local.get $hdb))))
      (local.set $o (i32.add (local.get $out) (i32.shl (local.get $g) (i32.const 4))))
      (v128.store (local.get $o) (local.get $s0))
      (v128.store (i32.add (local.get $o) (local.get $Tb)) (local.get $s1))
      (v128.store (i32.add (local.get $o) (i32.shl (local.get $Tb) (i32.const 1))) (local.get $s2))
      (v128.store (i32.add (local.get $o) (i32.mul (local.get $Tb) (i32.const 3))) (local.get $s3))
      (local.set $g (i32.add (local.get $g) (i32.const 1)))
      (br_if $groups (i32.lt_u (local.get $g) (local.get $groups)))))

  ;; e^x lane-wise for x ≤ 0, as Cephes' expf: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-5
  ;; polynomial in r, 2^n by the exponent bits (relative error ~1e-7). 0 below −87.3, where e^x
  ;; leaves the normal floats; NaN stays NaN.
  (func $exp4 (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128)
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
    (local.set $r
      (f32x4.sub
        (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
        (f32x4.mul (local.get $n) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $p (f32x4.add (f32x4.mul (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $r))
      (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $p
      (f32x4.add
        (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
        (v128.const f32x4 1 1 1 1)))
    (v128.andnot
      (f32x4.mul (local.get $p)
        (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (v128.const i32x4 127 127 127 127)) (i32.const 23)))
      (f32x4.lt (local.get $x) (v128.const f32x4 -87.3 -87.3 -87.3 -87.3))))

  ;; The sum of a vector's four lanes, as (l0 + l1) + (l2 + l3).
  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; For every (b, h, i) and key j ≤ i: z = q_i·k_j + bias, with q already scaled by 1/(√hd·τ) and
  ;; bias = (alibi[h,i,j] + noise[b,h,i,j])·invTau, or alibi[h,i,j] when $noise = 0. Writes the
  ;; first j of the largest z to idx[(b·H + h)·T + i] and, when $p ≠ 0, softmax over j ≤ i to the
  ;; row p[((b·H + h)·T + i)·T + j] (zeros past i up to the row's last group of four; the rest of
  ;; the row is not written). Scratch: $kT hd·T floats, $z 4·T floats.
  (func (export "attn_forward")
    (param $q i32) (param $k i32) (param $alibi i32) (param $noise i32) (param $B i32) (param $T i32) (param $H i32) (param $hd i32)
    (param $invTau f32) (param $idx i32) (param $p i32) (param $kT i32) (param $z i32)
    (local $b i32) (local $h i32) (local $bh i32) (local $i0 i32) (local $r i32) (local $i i32) (local $g i32) (local $groups i32)
    (local $rowb i32) (local $Tb i32) (local $base i32) (local $off i32) (local $zrow i32) (local $brow i32) (local $nrow i32) (local $prow i32)
    (local $best f32) (local $bi i32) (local $bias v128) (local $bestv v128) (local $bidx v128) (local $lanes v128) (local $zv v128) (local $take v128) (local $e v128) (local $sum v128) (local $max v128) (local $total v128)
    (local.set $rowb (i32.shl (i32.mul (local.get $H) (local.get $hd)) (i32.const 2)))
    (local.set $Tb (i32.shl (local.get $T) (i32.const 2)))
    (local.set $b (i32.const 0))
    (loop $batch
      (local.set $base (i32.mul (i32.mul (local.get $b) (local.get $T)) (local.get $rowb)))
      (local.set $h (i32.const 0))
      (loop $heads
        (local.set $bh (i32.add (i32.mul (local.get $b) (local.get $H)) (local.get $h)))
        (call $transpose_head
          (i32.add (i32.add (local.get $k) (local.get $base)) (i32.shl (i32.mul (local.get $h) (local.get $hd)) (i32.const 2)))
          (local.get $rowb) (local.get $hd) (local.get $T) (local.get $kT))
        (local.set $i0 (i32.const 0))
        (loop $blocks
          (local.set $groups (i32.add (i32.shr_u (local.get $i0) (i32.const 2)) (i32.const 1)))
          (call $block_scores
            (i32.add (i32.add (i32.add (local.get $q) (local.get $base)) (i32.mul (local.get $i0) (local.get $rowb))) (i32.shl (i32.mul (local.get $h) (local.get $hd)) (i32.const 2)))
            (local.get $rowb) (local.get $kT) (local.get $T) (local.get $hd) (local.get $groups) (local.get $z))
          (local.set $r (i32.const 0))
          (loop $queries
            (local.set $i (i32.add (local.get $i0) (local.get $r)))
            (local.set $zrow (i32.add (local.get $z) (i32.mul (local.get $r) (local.get $Tb))))
            (local.set $brow (i32.add (local.get $alibi) (i32.mul (i32.add (i32.mul (local.get $h) (local.get $T)) (local.get $i)) (local.get $Tb))))
            (local.set $nrow (i32.add (local.get $noise) (i32.mul (i32.add (i32.mul (local.get $bh) (local.get $T)) (local.get $i)) (local.get $Tb))))
            ;; z += bias over the row's groups
            (local.set $g (i32.const 0))
            (loop $bias_groups
              (local.set $off (i32.shl (local.get $g) (i32.const 4)))
              (local.set $bias (v128.load (i32.add (local.get $brow) (local.get $off))))
              (if (local.get $noise)
                (then
                  (local.set $bias
                    (f32x4.mul
                      (f32x4.add (local.get $bias) (v128.load (i32.add (local.get $nrow) (local.get $off))))
                      (f32x4.splat (local.get $invTau))))))
              (v128.store (i32.add (local.get $zrow) (local.get $off))
                (f32x4.add (v128.load (i32.add (local.get $zrow) (local.get $off))) (local.get $bias)))
              (local.set $g (i32.add (local.get $g) (i32.const 1)))
              (br_if $bias_groups (i32.lt_u (local.get $g) (local.get $groups))))
            ;; the first largest z over j ≤ i: per lane l, the first largest over j ≡ l (mod 4) from
            ;; the candidate (z_0, 0) on (f32.gt never takes a NaN, as a scalar scan from z_0 would
            ;; not); then the largest of the lanes' and the least index among the lanes holding it
            (local.set $bestv (f32x4.splat (f32.load (local.get $zrow))))
            (local.set $bidx (v128.const i32x4 0 0 0 0))
            (local.set $g (i32.const 0))
            (loop $argmax_groups
              (local.set $lanes (i32x4.add (i32x4.splat (i32.shl (local.get $g) (i32.const 2))) (v128.const i32x4 0 1 2 3)))
              (local.set $zv (v128.load (i32.add (local.get $zrow) (i32.shl (local.get $g) (i32.const 4)))))
              (local.set $take
                (v128.and
                  (f32x4.gt (local.get $zv) (local.get $bestv))
                  (i32x4.le_s (local.get $lanes) (i32x4.splat (local.get $i)))))
              (local.set $bestv (v128.bitselect (local.get $zv) (local.get $bestv) (local.get $take)))
              (local.set $bidx (v128.bitselect (local.get $lanes) (local.get $bidx) (local.get $take)))
              (local.set $g (i32.add (local.get $g) (i32.const 1)))
              (br_if $argmax_groups (i32.lt_u (local.get $g) (local.get $groups))))
            (local.set $best
              (f32.max
                (f32.max (f32x4.extract_lane 0 (local.get $bestv)) (f32x4.extract_lane 1 (local.get $bestv)))
                (f32.max (f32x4.extract_lane 2 (local.get $bestv)) (f32x4.extract_lane 3 (local.get $bestv)))))
            (local.set $bidx
              (v128.bitselect (local.get $bidx) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff)
                (f32x4.eq (local.get $bestv) (f32x4.splat (local.get $best)))))
            (local.set $bidx (i32x4.min_s (local.get $bidx) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $bidx) (local.get $bidx))))
            (local.set $bi (i32.const 0))
            (if (f32.eq (local.get $best) (local.get $best))
              (then
                (local.set $bi
                  (select (i32x4.extract_lane 0 (local.get $bidx)) (i32x4.extract_lane 1 (local.get $bidx))
                    (i32.lt_s (i32x4.extract_lane 0 (local.get $bidx)) (i32x4.extract_lane 1 (local.get $bidx)))))))
            (local.set $best (f32.load (i32.add (local.get $zrow) (i32.shl (local.get $bi) (i32.const 2)))))
            (i32.store (i32.add (local.get $idx) (i32.shl (i32.add (i32.mul (local.get $bh) (local.get $T)) (local.get $i)) (i32.const 2))) (local.get $bi))
            ;; softmax over j ≤ i
            (if (local.get $p)
              (then
                (local.set $prow (i32.add (local.get $p) (i32.mul (i32.add (i32.mul (local.get $bh) (local.get $T)) (local.get $i)) (local.get $Tb))))
                (local.set $max (f32x4.splat (local.get $best)))
                (local.set $sum (v128.const i32x4 0 0 0 0))
                (local.set $g (i32.const 0))
                (loop $exp_groups
                  (local.set $off (i32.shl (local.get $g) (i32.const 4)))
                  (local.set $e
                    (v128.andnot
                      (call $exp4 (f32x4.sub (v128.load (i32.add (local.get $zrow) (local.get $off))) (local.get $max)))
                      (i32x4.gt_s
                        (i32x4.add (i32x4.splat (i32.shl (local.get $g) (i32.const 2))) (v128.const i32x4 0 1 2 3))
                        (i32x4.splat (local.get $i)))))
                  (v128.store (i32.add (local.get $prow) (local.get $off)) (local.get $e))
                  (local.set $sum (f32x4.add (local.get $sum) (local.get $e)))
                  (local.set $g (i32.add (local.get $g) (i32.const 1)))
                  (br_if $exp_groups (i32.lt_u (local.get $g) (local.get $groups))))
                (local.set $total (f32x4.splat (call $hsum (local.get $sum))))
                (local.set $g (i32.const 0))
                (loop $div_groups
                  (local.set $off (i32.add (local.get $prow) (i32.shl (local.get $g) (i32.const 4))))
                  (v128.store (local.get $off) (f32x4.div (v128.load (local.get $off)) (local.get $total)))
                  (local.set $g (i32.add (local.get $g) (i32.const 1)))
                  (br_if $div_groups (i32.lt_u (local.get $g) (local.get $groups))))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br_if $queries (i32.lt_u (local.get $r) (i32.const 4))))
          (local.set $i0 (i32.add (local.get $i0) (i32.const 4)))
          (br_if $blocks (i32.lt_u (local.get $i0) (local.get $T))))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br_if $heads (i32.lt_u (local.get $h) (local.get $H))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $batch (i32.lt_u (local.get $b) (local.get $B)))))

  ;; out_i = scale·Σ_j m[i,j]·x_j for the T rows of out, over keys j below the end of i's group of
  ;; four (m is T × T with rows T floats apart, and 0 past i up to that end: a causal matrix); x and
  ;; out are one head's rows, rowb bytes apart, hd columns. Sums in order of j.
  (func $causal_rows_product (param $m i32) (param $T i32) (param $x i32) (param $rowb i32) (param $hd i32) (param $scale f32) (param $out i32)
    (local $i0 i32) (local $j i32) (local $c i32) (local $jmax i32) (local $z0 i32) (local $off i32) (local $o i32) (local $Tb i32) (local $hdb i32)
    (local $kv v128) (local $sc v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $Tb (i32.shl (local.get $T) (i32.const 2)))
    (local.set $hdb (i32.shl (local.get $hd) (i32.const 2)))
    (local.set $sc (f32x4.splat (local.get $scale)))
    (local.set $i0 (i32.const 0))
    (loop $blocks
      (local.set $jmax (i32.add (local.get $i0) (i32.const 4)))
      (local.set $z0 (i32.add (local.get $m) (i32.mul (local.get $i0) (local.get $Tb))))
      (local.set $c (i32.const 0))
      (loop $cols
        (local.set $s0 (v128.const i32x4 0 0 0 0))
        (local.set $s1 (v128.const i32x4 0 0 0 0))
        (local.set $s2 (v128.const i32x4 0 0 0 0))
        (local.set $s3 (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (loop $keys
          (local.set $kv (v128.load (i32.add (i32.add (local.get $x) (i32.mul (local.get $j) (local.get $rowb))) (local.get $c))))
          (local.set $off (i32.add (local.get $z0) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (v128.load32_splat (local.get $off)) (local.get $kv))))
          (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (v128.load32_splat (i32.add (local.get $off) (local.get $Tb))) (local.get $kv))))
          (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (v128.load32_splat (i32.add (local.get $off) (i32.shl (local.get $Tb) (i32.const 1)))) (local.get $kv))))
          (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (v128.load32_splat (i32.add (local.get $off) (i32.mul (local.get $Tb) (i32.const 3)))) (local.get $kv))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $keys (i32.lt_u (local.get $j) (local.get $jmax))))
        (local.set $o (i32.add (i32.add (local.get $out) (i32.mul (local.get $i0) (local.get $rowb))) (local.get $c)))
        (v128.store (local.get $o) (f32x4.mul (local.get $s0) (local.get $sc)))
        (v128.store (i32.add (local.get $o) (local.get $rowb)) (f32x4.mul (local.get $s1) (local.get $sc)))
        (v128.store (i32.add (local.get $o) (i32.shl (local.get $rowb) (i32.const 1))) (f32x4.mul (local.get $s2) (local.get $sc)))
        (v128.store (i32.add (local.get $o) (i32.mul (local.get $rowb) (i32.const 3))) (f32x4.mul (local.get $s3) (local.get $sc)))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br_if $cols (i32.lt_u (local.get $c) (local.get $hdb))))
      (local.set $i0 (i32.add (local.get $i0) (i32.const 4)))
      (br_if $blocks (i32.lt_u (local.get $i0) (local.get $T)))))

  ;; out_j = scale·Σ_i m[i,j]·x_i for the T rows of out, over queries i from the start of j's group of
  ;; four (m causal as for $causal_rows_product, so the terms with i < j are 0); x and out are one
  ;; head's rows, rowb bytes apart, hd columns. Sums in order of i.
  (func $causal_cols_product (param $m i32) (param $T i32) (param $x i32) (param $rowb i32) (param $hd i32) (param $scale f32) (param $out i32)
    (local $j0 i32) (local $i i32) (local $c i32) (local $o i32) (local $Tb i32) (local $hdb i32)
    (local $mv v128) (local $xv v128) (local $sc v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $Tb (i32.shl (local.get $T) (i32.const 2)))
    (local.set $hdb (i32.shl (local.get $hd) (i32.const 2)))
    (local.set $sc (f32x4.splat (local.get $scale)))
    (local.set $j0 (i32.const 0))
    (loop $blocks
      (local.set $c (i32.const 0))
      (loop $cols
        (local.set $s0 (v128.const i32x4 0 0 0 0))
        (local.set $s1 (v128.const i32x4 0 0 0 0))
        (local.set $s2 (v128.const i32x4 0 0 0 0))
        (local.set $s3 (v128.const i32x4 0 0 0 0))
        (local.set $i (local.get $j0))
        (loop $queries
          (local.set $mv (v128.load (i32.add (local.get $m) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $T)) (local.get $j0)) (i32.const 2)))))
          (local.set $xv (v128.load (i32.add (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rowb))) (local.get $c))))
          (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $mv) (local.get $mv)) (local.get $xv))))
          (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $mv) (local.get $mv)) (local.get $xv))))
          (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $mv) (local.get $mv)) (local.get $xv))))
          (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $mv) (local.get $mv)) (local.get $xv))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $queries (i32.lt_u (local.get $i) (local.get $T))))
        (local.set $o (i32.add (i32.add (local.get $out) (i32.mul (local.get $j0) (local.get $rowb))) (local.get $c)))
        (v128.store (local.get $o) (f32x4.mul (local.get $s0) (local.get $sc)))
        (v128.store (i32.add (local.get $o) (local.get $rowb)) (f32x4.mul (local.get $s1) (local.get $sc)))
        (v128.store (i32.add (local.get $o) (i32.shl (local.get $rowb) (i32.const 1))) (f32x4.mul (local.get $s2) (local.get $sc)))
        (v128.store (i32.add (local.get $o) (i32.mul (local.get $rowb) (i32.const 3))) (f32x4.mul (local.get $s3) (local.get $sc)))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br_if $cols (i32.lt_u (local.get $c) (local.get $hdb))))
      (local.set $j0 (i32.add (local.get $j0) (i32.const 4)))
      (br_if $blocks (i32.lt_u (local.get $j0) (local.get $T)))))

  ;; The softmax attention's output for every (b, h): out_i = Σ_{j ≤ i} p[i,j]·v_j, with p as
  ;; attn_forward wrote it (its rows' zeros past i up to their group's end are read).
  (func (export "attn_apply") (param $p i32) (param $v i32) (param $B i32) (param $T i32) (param $H i32) (param $hd i32) (param $out i32)
    (local $bh i32) (local $head i32) (local $rowb i32) (local $TTb i32)
    (local.set $rowb (i32.shl (i32.mul (local.get $H) (local.get $hd)) (i32.const 2)))
    (local.set $TTb (i32.shl (i32.mul (local.get $T) (local.get $T)) (i32.const 2)))
    (local.set $bh (i32.const 0))
    (loop $heads
      ;; row (b, 0), head h of [B·T, d], for bh = b·H + h
      (local.set $head
        (i32.add
          (i32.mul (i32.mul (i32.div_u (local.get $bh) (local.get $H)) (local.get $T)) (local.get $rowb))
          (i32.shl (i32.mul (i32.rem_u (local.get $bh) (local.get $H)) (local.get $hd)) (i32.const 2))))
      (call $causal_rows_product (i32.add (local.get $p) (i32.mul (local.get $bh) (local.get $TTb))) (local.get $T)
        (i32.add (local.get $v) (local.get $head)) (local.get $rowb) (local.get $hd) (f32.const 1) (i32.add (local.get $out) (local.get $head)))
      (local.set $bh (i32.add (local.get $bh) (i32.const 1)))
      (br_if $heads (i32.lt_u (local.get $bh) (i32.mul (local.get $B) (local.get $H))))))

;; The gradients of softmax attention's scores for every (b, h), with p as attn_forward wrote it:
  ;;   dP[i,j] = dout_i·v_j,  dz[i,j] = p[i,j]·(dP[i,j] − Σ_j' dP[i,j']·p[i,j']),
  ;;   dq_i = scale·Σ_j dz[i,j]·k_j,  dk_j = scale·Σ_i dz[i,j]·q_i,  over j ≤ i,
  ;; and, when $dv ≠ 0, the gradient of out = p·v for v: dv_j = Σ_{i ≥ j} p[i,j]·dout_i (the
  ;; softmax attention's; the hard attention's v moves with its chosen rows instead). Every value
  ;; of dq, dk (and dv) is written. Scratch: $vT hd·T floats, $dz T·T floats.
  (func (export "attn_backward")
    (param $q i32) (param $k i32) (param $v i32) (param $dout i32) (param $p i32) (param $B i32) (param $T i32) (param $H i32) (param $hd i32)
    (param $scale f32) (param $dq i32) (param $dk i32) (param $dv i32) (param $vT i32) (param $dz i32)
    (local $b i32) (local $h i32) (local $bh i32) (local $i0 i32) (local $r i32) (local $i i32) (local $g i32) (local $groups i32)
    (local $rowb i32) (local $Tb i32) (local $hdb i32) (local $head i32) (local $off i32) (local $drow i32) (local $prow i32)
    (local $acc v128) (local $rs v128)
    (local.set $rowb (i32.shl (i32.mul (local.get $H) (local.get $hd)) (i32.const 2)))
    (local.set $Tb (i32.shl (local.get $T) (i32.const 2)))
    (local.set $hdb (i32.shl (local.get $hd) (i32.const 2)))
    (local.set $b (i32.const 0))
    (loop $batch
      (local.set $h (i32.const 0))
      (loop $heads
        (local.set $bh (i32.add (i32.mul (local.get $b) (local.get $H)) (local.get $h)))
        ;; byte offset of row (b, 0), head h
        (local.set $head (i32.add (i32.mul (i32.mul (local.get $b) (local.get $T)) (local.get $rowb)) (i32.mul (local.get $h) (local.get $hdb))))
        (if (local.get $dv)
          (then
            (call $causal_cols_product (i32.add (local.get $p) (i32.mul (i32.mul (local.get $bh) (local.get $T)) (local.get $Tb))) (local.get $T)
              (i32.add (local.get $dout) (local.get $head)) (local.get $rowb) (local.get $hd) (f32.const 1) (i32.add (local.get $dv) (local.get $head)))))
        (call $transpose_head (i32.add (local.get $v) (local.get $head)) (local.get $rowb) (local.get $hd) (local.get $T) (local.get $vT))
        ;; dP into dz, then dz in place, four queries at a time
        (local.set $i0 (i32.const 0))
        (loop $blocks
          (local.set $groups (i32.add (i32.shr_u (local.get $i0) (i32.const 2)) (i32.const 1)))
          (call $block_scores
            (i32.add (i32.add (local.get $dout) (local.get $head)) (i32.mul (local.get $i0) (local.get $rowb)))
            (local.get $rowb) (local.get $vT) (local.get $T) (local.get $hd) (local.get $groups)
            (i32.add (local.get $dz) (i32.mul (local.get $i0) (local.get $Tb))))
          (local.set $r (i32.const 0))
          (loop $queries
            (local.set $i (i32.add (local.get $i0) (local.get $r)))
            (local.set $drow (i32.add (local.get $dz) (i32.mul (local.get $i) (local.get $Tb))))
            (local.set $prow (i32.add (local.get $p) (i32.mul (i32.add (i32.mul (local.get $bh) (local.get $T)) (local.get $i)) (local.get $Tb))))
            (local.set $acc (v128.const i32x4 0 0 0 0))
            (local.set $g (i32.const 0))
            (loop $dot_groups
              (local.set $off (i32.shl (local.get $g) (i32.const 4)))
              (local.set $acc (f32x4.add (local.get $acc)
                (f32x4.mul (v128.load (i32.add (local.get $drow) (local.get $off))) (v128.load (i32.add (local.get $prow) (local.get $off))))))
              (local.set $g (i32.add (local.get $g) (i32.const 1)))
              (br_if $dot_groups (i32.lt_u (local.get $g) (local.get $groups))))
            (local.set $rs (f32x4.splat (call $hsum (local.get $acc))))
            (local.set $g (i32.const 0))
            (loop $dz_groups
              (local.set $off (i32.shl (local.get $g) (i32.const 4)))
              (v128.store (i32.add (local.get $drow) (local.get $off))
                (f32x4.mul (v128.load (i32.add (local.get $prow) (local.get $off)))
                  (f32x4.sub (v128.load (i32.add (local.get $drow) (local.get $off))) (local.get $rs))))
              (local.set $g (i32.add (local.get $g) (i32.const 1)))
              (br_if $dz_groups (i32.lt_u (local.get $g) (local.get $groups))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br_if $queries (i32.lt_u (local.get $r) (i32.const 4))))
          (local.set $i0 (i32.add (local.get $i0) (i32.const 4)))
          (br_if $blocks (i32.lt_u (local.get $i0) (local.get $T))))
        ;; dq = scale·dz·k, dk = scale·dzᵀ·q (dz is 0 past each query up to its group's end)
        (call $causal_rows_product (local.get $dz) (local.get $T) (i32.add (local.get $k) (local.get $head)) (local.get $rowb) (local.get $hd) (local.get $scale) (i32.add (local.get $dq) (local.get $head)))
        (call $causal_cols_product (local.get $dz) (local.get $T) (i32.add (local.get $q) (local.get $head)) (local.get $rowb) (local.get $hd) (local.get $scale) (i32.add (local.get $dk) (local.get $head)))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br_if $heads (i32.lt_u (local.get $h) (local.get $H))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $batch (i32.lt_u (local.get $b) (local.get $B))))))
