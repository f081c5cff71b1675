export { compose, createImage, checkImage } from './image.js';
export type { ImageU8, Transform } from './image.js';
