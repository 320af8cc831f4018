/** Facts about the machine a run was measured on, printed above the tables and kept in the JSON. */
import os from 'node:os';
import { execa } from 'execa';

export interface MachineFacts {
  node: string;
  dockerServer: string;
  dockerClient: string;
  hyperfine: string;
  cpus: number;
  cpuModel: string;
  kernel: string;
}

async function output(argv: readonly string[], env: Record<string, string>): Promise<string> {
  const [bin, ...args] = argv;
  const result = await execa(bin ?? 'false', args, { env, extendEnv: false, reject: false });
  return result.exitCode === 0 ? result.stdout.trim() : 'unknown';
}

/** Reads the facts; `env` reaches the private dockerd. */
export async function machineFacts(env: Record<string, string>): Promise<MachineFacts> {
  const cpus = os.cpus();
  return {
    node: process.version,
    dockerServer: await output(['docker', 'version', '--format', '{{.Server.Version}}'], env),
    dockerClient: await output(['docker', 'version', '--format', '{{.Client.Version}}'], env),
    hyperfine: (await output(['hyperfine', '--version'], env)).replace(/^hyperfine /, ''),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    kernel: os.release(),
  };
}

/** One line for the top of the printed report. */
export function renderMachine(facts: MachineFacts): string {
  return `node ${facts.node}, docker server ${facts.dockerServer} (client ${facts.dockerClient}), ${facts.cpus} CPUs (${facts.cpuModel}), Linux ${facts.kernel}, hyperfine ${facts.hyperfine}`;
}
