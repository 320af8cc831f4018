/** The command table's summaries (what `devenv --help` prints without loading a command) match the commands. */
import { describe, expect, it } from 'vitest';
import { COMMANDS, loadCommand } from '../../src/commands/command-table.js';
import { mainHelp } from '../../src/commands/help.js';

describe('command table', () => {
  it.each(Object.keys(COMMANDS))('%s: the table names the command and repeats its summary', async (name) => {
    const command = await loadCommand(name);
    expect(command?.name).toBe(name);
    expect(COMMANDS[name]?.summary).toBe(command?.summary);
  });

  it('lists every verb once in --help, in table order', () => {
    const lines = mainHelp('9.9.9').split('\n');
    const verbs = lines.filter((l) => /^ {2}[a-z]+ {2,}/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
    expect(verbs).toEqual(Object.keys(COMMANDS));
  });
});
