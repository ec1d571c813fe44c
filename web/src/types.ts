/**
 * Shapes of the server's JSON. Types only (esbuild drops them: the bundle has no server code); where JSON
 * differs from the server's values (NaN and infinities arrive as null) the page has its own shape.
 */
export type { RunSummary, SampleStep } from '../../src/server/runs.ts';
import type { RunSummary, SampleStep } from '../../src/server/runs.ts';
import type { PlaygroundState, playgroundChoices } from '../../src/server/playground.ts';

export interface RunDetail {
  summary: RunSummary;
  config: Record<string, any> | null;
  configError?: string;
  samples: SampleStep[];
  extraPictures: string[];
  checkpoints: { step: number; file: string; bytes: number }[];
  evals: { at?: string; step?: number; ema?: boolean; n?: number; metrics?: Record<string, number> }[];
  warnings: string[];
}

export interface MetricsColumns {
  step: number[];
  terms: Record<string, (number | null)[]>;
}

export interface View2D {
  step: number;
  total: number;
  loss: number | null;
  bounds: [number, number, number, number];
  samples: number[];
  density: { grid: number; logp: (number | null)[] } | null;
  trajectory: { frames: (number | null)[][]; labels: string[] } | null;
}

/** The playground's state as the page receives it. */
export type PlayState = Omit<PlaygroundState, 'view'> & { view: View2D | null };

/** The families and data sets the playground offers. */
export type PlayChoices = Awaited<ReturnType<typeof playgroundChoices>>;
