import { identifierSchema } from '@millrace/schema';
import { z } from 'zod';
import { featureConfigSchema } from './features.js';
import { evaluationSchema } from './metrics.js';

export const modelKindSchema = z.enum(['logistic', 'mlp']);
export type ModelKind = z.infer<typeof modelKindSchema>;

const denseLayerSchema = z
  .object({
    inputs: z.number().int().min(1),
    units: z.number().int().min(1),
    /** The last layer is linear: it gives the log-odds, and calibration plus the sigmoid come after. */
    activation: z.enum(['relu', 'linear']),
    /** Row-major by input: weight of input i to unit j is `weights[i * units + j]` (tfjs's kernel layout). */
    weights: z.array(z.number()),
    bias: z.array(z.number()),
  })
  .refine(
    (layer) => layer.weights.length === layer.inputs * layer.units && layer.bias.length === layer.units,
    {
      message: 'weights must be inputs x units and bias units long',
    },
  );
export type DenseLayer = z.infer<typeof denseLayerSchema>;

/**
 * A trained model as saved under `<data dir>/models/risk/<version>/model.json`: everything serving
 * needs (feature list and config, normalisation, weights, calibration, threshold) and everything a
 * reviewer needs (data range, hold-out metrics, how it was trained). Parsed on load, like any file edge.
 */
export const modelArtifactSchema = z
  .object({
    format: z.literal(1),
    version: identifierSchema.regex(/^[A-Za-z0-9._-]+$/, 'a version is a folder name'),
    kind: modelKindSchema,
    createdAt: z.iso.datetime(),
    features: z.array(z.string().min(1)).min(1),
    featureConfig: featureConfigSchema,
    /** z = (x - mean) / std per feature, with the training split's statistics. */
    normalisation: z.object({ mean: z.array(z.number()), std: z.array(z.number().positive()) }),
    layers: z.array(denseLayerSchema).min(1),
    /** Platt scaling fitted on the validation split: p = sigmoid(a * logit + b). */
    calibration: z.object({ a: z.number(), b: z.number() }),
    /** Probability at or above which a cell is high risk (best F1 on the validation split). */
    threshold: z.number().min(0).max(1),
    dataRange: z.object({
      from: z.iso.datetime(),
      to: z.iso.datetime(),
      holdoutFrom: z.iso.datetime(),
      trainCells: z.number().int(),
      validationCells: z.number().int(),
      holdoutCells: z.number().int(),
    }),
    metrics: z.object({ validation: evaluationSchema, holdout: evaluationSchema }),
    training: z.object({
      epochs: z.number().int(),
      positiveWeight: z.number(),
      seed: z.number().int(),
      backend: z.string(),
      durationMs: z.number(),
    }),
  })
  .superRefine((artifact, context) => {
    const n = artifact.features.length;
    if (artifact.normalisation.mean.length !== n || artifact.normalisation.std.length !== n)
      context.addIssue({ code: 'custom', path: ['normalisation'], message: `needs ${n} entries` });
    let inputs = n;
    artifact.layers.forEach((layer, index) => {
      if (layer.inputs !== inputs)
        context.addIssue({
          code: 'custom',
          path: ['layers', index],
          message: `takes ${layer.inputs} inputs, not ${inputs}`,
        });
      inputs = layer.units;
    });
    const last = artifact.layers[artifact.layers.length - 1];
    if (last && (last.units !== 1 || last.activation !== 'linear'))
      context.addIssue({
        code: 'custom',
        path: ['layers'],
        message: 'the last layer must be one linear unit',
      });
  });
export type ModelArtifact = z.infer<typeof modelArtifactSchema>;
