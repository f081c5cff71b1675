import { createRequire } from 'node:module';
import * as path from 'node:path';

/**
 * Dawn for Node (the `webgpu` package, an optional peer of @tfvision/nn), loaded from the
 * project or from TFVISION_WEBGPU_MODULE (a path to the package); null with the reason when
 * neither loads. `backend=null` gives Dawn's null device: no execution, but the full WGSL
 * compiler (Tint) and WebGPU's validation, so shaders can be checked without a GPU.
 */
export interface DawnModule {
  create(flags: string[]): { requestAdapter(): Promise<DawnAdapter | null> };
  globals: Record<string, unknown>;
}
export interface DawnAdapter {
  requestDevice(): Promise<DawnDevice>;
}
export interface DawnDevice {
  createShaderModule(d: { code: string }): { getCompilationInfo(): Promise<{ messages: { type: string; message: string; lineNum: number }[] }> };
  createComputePipeline(d: { layout: 'auto'; compute: { module: unknown; entryPoint: string } }): unknown;
  pushErrorScope(filter: 'validation'): void;
  popErrorScope(): Promise<{ message: string } | null>;
  destroy(): void;
}

export function loadDawn(): { dawn: DawnModule } | { reason: string } {
  // Resolved from the working directory (the repository root for tests and tools): the same
  // source runs as CommonJS under jest and as ESM when built. The package's entry is ESM, which
  // jest's CommonJS cannot import; its native addon loads with require from either.
  const require = createRequire(`${process.cwd()}/`);
  const errors: string[] = [];
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  for (const id of [process.env.TFVISION_WEBGPU_MODULE, 'webgpu'].filter((v): v is string => !!v)) {
    try {
      const dir = path.dirname(require.resolve(`${id}/package.json`));
      return { dawn: require(path.join(dir, 'dist', `${process.platform}-${arch}`, 'dawn.node')) as DawnModule };
    } catch (err) {
      errors.push(`${id}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return { reason: `the webgpu package (Dawn) does not load: ${errors.join('; ')}` };
}
