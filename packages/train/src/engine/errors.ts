/** Training stopped because the loss became NaN or infinite; the last good checkpoint is kept. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
  constructor(
    message: string,
    readonly step: number,
    readonly lastCheckpoint: string | undefined,
  ) {
    super(message);
  }
}
