import type { Command } from '../command.js';

export const dataCommand: Command = {
  name: 'data',
  summary: '',
  help: 'tfvision data: not available in this build yet',
  async run(): Promise<number> {
    process.stderr.write('tfvision data: not available in this build yet\n');
    return 1;
  },
};
