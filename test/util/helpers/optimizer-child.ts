/**
 * Run with `node --allow-natives-syntax`: prints whether V8 optimizes a fresh hot function before
 * startLean, after it, and after optimizeFromNow (`call`), a DigestStream (`digest`) or the lean start
 * running out by itself (`timer`).
 */
import { DigestStream } from '../../../src/image/layer/digest-stream.js';
import { optimizeFromNow, startLean } from '../../../src/util/optimizer.js';

/* eslint-disable @typescript-eslint/no-implied-eval -- V8's natives syntax (%GetOptimizationStatus) compiles only through the Function constructor. */
type Probe = (f: unknown) => number;
const status = new Function('f', 'return %GetOptimizationStatus(f)') as Probe;
const prepare = new Function('f', '%PrepareFunctionForOptimization(f)') as Probe;
const onNextCall = new Function('f', '%OptimizeFunctionOnNextCall(f)') as Probe;

/** V8's "optimized" bit of a function it was asked to optimize on its next call. */
function optimized(): boolean {
  const f = new Function('x', 'return x + 1') as (x: number) => number;
  prepare(f);
  f(1);
  f(2);
  onNextCall(f);
  f(3);
  return (status(f) & 16) !== 0;
}

const before = optimized();
startLean();
const lean = optimized();
const mode = process.argv[2];
if (mode === 'timer') await new Promise((resolve) => setTimeout(resolve, 1500));
// A hot path: hashing a layer turns the optimizer on as it starts.
else if (mode === 'digest') new DigestStream().destroy();
else optimizeFromNow();
const after = optimized();
process.stdout.write(`${JSON.stringify({ before, lean, after })}\n`);
