/** Shapes of the server's JSON (mirrors src/server; kept here so the page bundle has no server imports). */
export interface RunSummary {
  name: string;
  model: string | null;
  data: string | null;
  step: number;
  totalSteps: number | null;
  loss: number | null;
  status: 'running' | 'finished' | 'failed' | 'nan' | 'interrupted' | 'invalid';
  updatedAt: number;
  createdAt: string | null;
  samples: number;
  checkpoints: number;
  warnings: number;
}

export interface SampleStep {
  step: number;
  image?: string;
  density?: string;
}

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
