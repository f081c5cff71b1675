/** The 16 integers the C kernels take, in their order (conv_geom in tfvision_native.c). */
export interface NativeConvGeometry {
  n: number; h: number; w: number; c: number;
  kh: number; kw: number; o: number;
  oh: number; ow: number;
  sh: number; sw: number; pt: number; pl: number; dh: number; dw: number;
  groups: number;
}

export function packGeometry(g: NativeConvGeometry): number[] {
  return [g.n, g.h, g.w, g.c, g.kh, g.kw, g.o, g.oh, g.ow, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, g.groups];
}
