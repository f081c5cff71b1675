export type { ImageU8, Transform } from './image.js';
export { compose, createImage, checkImage } from './image.js';
