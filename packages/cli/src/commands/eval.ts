import type { Command } from '../command.js';

export const evalCommand: Command = {
  name: 'eval',
  summary: '',
  help: 'tfvision eval: not available in this build yet',
  async run(): Promise<number> {
    process.stderr.write('tfvision eval: not available in this build yet\n');
    return 1;
  },
};
