import type { Command } from './command.ts';
import { CliError } from './command.ts';
import { documentBytes, listDocuments } from '../apps/content.ts';

export const contentCommand: Command = {
  name: 'content',
  summary: "print the exact bytes the default servers send for PATH; --list lists paths and sizes",
  async run(argv) {
    if (argv.length === 1 && argv[0] === '--list') {
      for (const d of listDocuments()) process.stdout.write(`${String(d.size).padStart(10)}  ${d.path}\n`);
      return 0;
    }
    if (argv.length !== 1 || argv[0]!.startsWith('-')) throw new CliError('usage: handoff content <path> | --list', 2);
    const bytes = documentBytes(argv[0]!);
    if (!bytes) throw new CliError(`no document at ${argv[0]} (try: handoff content --list)`);
    await new Promise<void>((resolve, reject) =>
      process.stdout.write(bytes, (err) => (err ? reject(err) : resolve())),
    );
    return 0;
  },
};
