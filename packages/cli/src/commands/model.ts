import type { Command } from '../command.js';

export const modelCommand: Command = {
  name: 'model',
  summary: '',
  help: 'tfvision model: not available in this build yet',
  async run(): Promise<number> {
    process.stderr.write('tfvision model: not available in this build yet\n');
    return 1;
  },
};
