/** PLACEHOLDER (coordinator): the rotation scheduler's job; the rotation helper replaces this file. */
import type { Kernel } from '../domain/kernel/kernel.ts';
import type { Job } from './job.ts';

export function rotationJob(_kernel: Kernel): Job {
  return { name: 'key-rotation', intervalSeconds: 60, leaseSeconds: 60, run: async () => undefined };
}
