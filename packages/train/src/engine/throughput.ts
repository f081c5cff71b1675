/** Steps/s and images/s over a window that restarts every `windowSeconds`, so the figures follow the current speed. */
export class Throughput {
  stepsPerSecond = 0;
  imagesPerSecond = 0;
  private start = performance.now();
  private steps = 0;
  private images = 0;

  constructor(private readonly windowSeconds = 20) {}

  add(images: number): void {
    this.steps++;
    this.images += images;
    const elapsed = Math.max((performance.now() - this.start) / 1000, 1e-9);
    this.stepsPerSecond = this.steps / elapsed;
    this.imagesPerSecond = this.images / elapsed;
    if (elapsed > this.windowSeconds) {
      this.start = performance.now();
      this.steps = 0;
      this.images = 0;
    }
  }
}
