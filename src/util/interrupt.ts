/**
 * Interruption. cli.ts turns SIGINT, SIGTERM and SIGHUP into the abort of one AbortSignal that reaches
 * every call worth cancelling; the aborted call throws, the command unwinds through its `finally`
 * cleanups, and main reports one short line and the shell's status for that signal (130 for ctrl-c).
 */
import { constants } from 'node:os';
import { DevenvError } from '../errors.js';

/** The signals devenv treats as "stop, clean up and leave". */
export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type InterruptSignal = (typeof INTERRUPT_SIGNALS)[number];

/** The exit status a shell reports for a process that `signal` ended: 128 + its number. */
export function signalExitStatus(signal: InterruptSignal): number {
  return 128 + constants.signals[signal];
}

/** The user (or the system) asked devenv to stop; every cleanup has run by the time it is reported. */
export class InterruptedError extends DevenvError {
  readonly signal: InterruptSignal;
  /** 130 for ctrl-c, as for every DEVENV_INTERRUPTED; 143 for SIGTERM and 129 for SIGHUP. */
  override readonly exitCode: number;

  constructor(signal: InterruptSignal = 'SIGINT') {
    super('DEVENV_INTERRUPTED', signal === 'SIGINT' ? 'interrupted' : `interrupted by ${signal}`);
    this.name = 'InterruptedError';
    this.signal = signal;
    this.exitCode = signalExitStatus(signal);
  }
}

/** The error an aborted signal stands for: its reason when cli.ts set one, else a plain ctrl-c. */
export function interruption(signal: AbortSignal): InterruptedError {
  return signal.reason instanceof InterruptedError ? signal.reason : new InterruptedError();
}

/** Throws the interruption when `signal` has been aborted; does nothing without a signal. */
export function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw interruption(signal);
}
